"""Incremental linkage equals a full run; person ids are stable across re-runs."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from padis.linkage import incremental as inc
from padis.linkage import model as mdl
from padis.linkage.cluster import assign_person_ids


def _same_partition(a: pl.DataFrame, b: pl.DataFrame) -> bool:
    j = a.join(b, on="key", suffix="_b")
    if j.height != a.height or j.height != b.height:
        return False
    one = j.group_by("person_id").agg(pl.col("person_id_b").n_unique().alias("k"))["k"].max()
    two = j.group_by("person_id_b").agg(pl.col("person_id").n_unique().alias("k"))["k"].max()
    return one == 1 and two == 1


def test_incremental_equals_full(tmp_path: Path, fake_records, link_settings, trained) -> None:  # type: ignore[no-untyped-def]
    records, _ = fake_records
    full, _ = inc.link_full(
        tmp_path / "full", mdl.prepare(records, link_settings), link_settings, model=trained
    )
    first = records.filter(pl.col("dataset") != "src2")
    batch = records.filter(pl.col("dataset") == "src2")
    state, _ = inc.link_full(
        tmp_path / "inc", mdl.prepare(first, link_settings), link_settings, model=trained
    )
    ids_before = state.persons
    state2, pairs = inc.link_incremental(inc.LinkState.load(tmp_path / "inc"), batch)
    assert pairs.height > 0
    assert _same_partition(full.persons, state2.persons)
    # Records linked before keep their person id unless their person grew by a merge of two.
    kept = ids_before.join(state2.persons, on="key", suffix="_new")
    assert (kept["person_id"] == kept["person_id_new"]).mean() > 0.99
    # Sending the same batch again changes nothing.
    state3, pairs3 = inc.link_incremental(state2, batch)
    assert pairs3.height == 0 and state3.persons.equals(state2.persons)


def test_rerun_keeps_person_ids(tmp_path: Path, fake_records, link_settings, trained) -> None:  # type: ignore[no-untyped-def]
    prepared = mdl.prepare(fake_records[0], link_settings)
    one, _ = inc.link_full(tmp_path, prepared, link_settings, model=trained)
    two, _ = inc.link_full(tmp_path, prepared, link_settings, model=trained)
    assert one.persons.sort("key").equals(two.persons.sort("key"))


def test_assign_person_ids_rules() -> None:
    prev = pl.DataFrame({"key": ["a", "b", "c", "d", "e"], "person_id": [10, 10, 11, 12, 12]})
    # a,b,c merge (10 has most) ; d and e split (d's cluster is smaller id → tie rule) ; f new
    clusters = pl.DataFrame({"key": ["a", "b", "c", "d", "e", "f"], "cluster_id": [1, 1, 1, 4, 5, 6]})
    out = dict(assign_person_ids(clusters, prev).iter_rows())
    assert out["a"] == out["b"] == out["c"] == 10
    assert out["d"] == 12  # tie on votes → smaller cluster id keeps the id
    assert out["e"] not in (10, 11, 12) and out["f"] not in (10, 11, 12)
    assert out["e"] != out["f"] and min(out["e"], out["f"]) == 13
