"""Validating a batch part by part gives the same records, quarantine and counts as all at once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from padis.collect.mapping import load_mapping
from padis.collect.parts import Tally, check_parts
from padis.collect.reader import read_source

NOW = dt.datetime(2026, 12, 3, 12, 0, 0)


def _collected(
    frame: pl.DataFrame, mapping_path: Path, rows: int
) -> tuple[pl.DataFrame, pl.DataFrame, Tally]:
    mapping = load_mapping(mapping_path)
    tally = Tally()
    records, quarantine = [], []
    for part in check_parts(frame, mapping, received_at=NOW, rows=rows):
        tally.add(part)
        records.append(part.records)
        quarantine.append(part.quarantine)
    return pl.concat(records), pl.concat(quarantine), tally


def test_parts_equal_the_whole_batch_and_keys_are_unique_across_parts(extract: tuple[Path, Path]) -> None:
    path, mapping = extract
    frame = read_source(path).frame
    # The last row repeats the first row's record key: a duplicate that lies in another part.
    first_key = frame.get_column("RYBH")[0]
    frame = frame.with_columns(
        pl.when(pl.col("_row") == frame.height)
        .then(pl.lit(first_key))
        .otherwise(pl.col("RYBH"))
        .alias("RYBH")
    )
    whole = _collected(frame, mapping, rows=10_000)
    parts = _collected(frame, mapping, rows=7)
    assert_frame_equal(parts[0], whole[0])
    assert_frame_equal(parts[1], whole[1])
    assert parts[2].reasons() == whole[2].reasons()
    assert (parts[2].stored, parts[2].quarantined, parts[2].warned) == (
        whole[2].stored,
        whole[2].quarantined,
        whole[2].warned,
    )
    assert parts[2].stored + parts[2].quarantined == frame.height
    last = parts[1].filter(pl.col("row_number") == frame.height)
    assert "record_id:duplicate_in_file" in last.get_column("reasons")[0]


def test_an_empty_frame_is_one_empty_part(extract: tuple[Path, Path]) -> None:
    path, mapping = extract
    frame = read_source(path).frame.head(0)
    records, quarantine, tally = _collected(frame, mapping, rows=7)
    assert (records.height, quarantine.height, tally.stored, tally.quarantined) == (0, 0, 0, 0)
