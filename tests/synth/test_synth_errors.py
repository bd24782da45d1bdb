"""Injected errors: measured rates match the configured ones, and every error is where the truth says."""

from __future__ import annotations

import json
import math
from pathlib import Path

import polars as pl
import pytest
import yaml

from padis.errors import ConfigError
from padis.synth.errors import ErrorRates


def test_measured_rates_match_configured_rates(synth_dir: Path) -> None:
    manifest = json.loads((synth_dir / "manifest.json").read_text(encoding="utf-8"))
    rates = manifest["error_rates"]
    totals: dict[str, list[int]] = {}
    for kinds in manifest["error_counts"].values():
        for kind, c in kinds.items():
            t = totals.setdefault(kind, [0, 0])
            t[0] += c["eligible"]
            t[1] += c["injected"]
    assert set(totals) == set(ErrorRates.names())
    for kind, (eligible, injected) in totals.items():
        assert eligible > (200 if kind != "name_swap" else 0), kind  # few minority names in Beijing/Hebei
        p = rates[kind]
        sd = math.sqrt(eligible * p * (1 - p))
        assert abs(injected - eligible * p) <= 4 * sd + 1, (kind, eligible, injected, p)


def test_name_swap_rate_on_xinjiang_names(tmp_path: Path) -> None:
    from padis.synth.generate import SynthConfig, generate

    rates = ErrorRates(name_swap=0.2)
    generate(
        SynthConfig(
            out=tmp_path / "xj", persons=8_000, provinces=["65"], years=(2022, 2022), seed=4, rates=rates
        )
    )
    manifest = json.loads((tmp_path / "xj" / "manifest.json").read_text(encoding="utf-8"))
    eligible = sum(k["name_swap"]["eligible"] for k in manifest["error_counts"].values())
    injected = sum(k["name_swap"]["injected"] for k in manifest["error_counts"].values())
    assert eligible > 2_000
    assert abs(injected - 0.2 * eligible) <= 4 * math.sqrt(eligible * 0.16)
    swaps = pl.read_parquet(tmp_path / "xj" / "truth" / "errors.parquet").filter(
        pl.col("error_type") == "name_swap"
    )
    dotted = swaps.filter(pl.col("true_value").str.contains("·"))
    assert dotted.height > 0
    first = dotted["true_value"].str.split("·").list.first()
    assert (dotted["recorded_value"].str.split("·").list.last() == first).all()


def test_error_list_agrees_with_counts_and_extracts(synth_dir: Path) -> None:
    manifest = json.loads((synth_dir / "manifest.json").read_text(encoding="utf-8"))
    errors = pl.read_parquet(synth_dir / "truth" / "errors.parquet")
    records = pl.read_parquet(synth_dir / "truth" / "records.parquet")
    for dataset, kinds in manifest["error_counts"].items():
        mapping = yaml.safe_load((synth_dir / "mappings" / f"{dataset}.yaml").read_text(encoding="utf-8"))
        frame = pl.read_parquet(synth_dir / "extracts" / f"{dataset}.parquet")
        mine = errors.filter(pl.col("dataset") == dataset)
        dups = mine.filter(pl.col("error_type") == "duplicate")
        assert dups.height == kinds["duplicate"]["injected"]
        # every error of an original record is listed, and again for each copy of it
        originals = mine.filter(pl.col("error_type") != "duplicate").join(
            dups.select(record_id="record_id"), on="record_id", how="anti"
        )
        for kind, c in kinds.items():
            if kind != "duplicate":
                assert originals.filter(pl.col("error_type") == kind).height == c["injected"], (dataset, kind)
        # the recorded value is what the extract holds (last error per cell wins: one error per cell)
        cells = mine.filter(pl.col("error_type") != "duplicate")
        assert cells.select("record_id", "column").is_unique().all()
        rid = mapping["record_id"]
        long = frame.unpivot(index=rid, variable_name="column", value_name="value")
        got = cells.join(long, left_on=["record_id", "column"], right_on=[rid, "column"], how="left")
        assert got.height == cells.height
        same = (got["value"] == got["recorded_value"]) | (
            got["value"].is_null() & got["recorded_value"].is_null()
        )
        assert same.fill_null(False).all(), dataset
        # the record key is unique and every row has a true person
        assert frame[rid].is_unique().all()
        mine_records = records.filter(pl.col("dataset") == dataset)
        assert mine_records.height == frame.height
        assert mine_records["person_id"].null_count() == 0


def test_duplicates_are_the_same_person_under_another_key(synth_dir: Path) -> None:
    records = pl.read_parquet(synth_dir / "truth" / "records.parquet")
    dups = records.filter(pl.col("duplicate_of").is_not_null())
    assert dups.height > 50
    orig = records.select("dataset", duplicate_of="record_id", original_person="person_id")
    joined = dups.join(orig, on=["dataset", "duplicate_of"])
    assert joined.height == dups.height
    assert (joined["person_id"] == joined["original_person"]).all()
    assert (joined["record_id"] != joined["duplicate_of"]).all()


def test_error_kinds_look_like_their_names(synth_dir: Path) -> None:
    errors = pl.read_parquet(synth_dir / "truth" / "errors.parquet")

    def of(kind: str) -> pl.DataFrame:
        return errors.filter(pl.col("error_type") == kind)

    homophone = of("name_homophone")
    assert (homophone["true_value"].str.len_chars() == homophone["recorded_value"].str.len_chars()).all()
    assert (homophone["true_value"] != homophone["recorded_value"]).all()
    from pypinyin import lazy_pinyin

    same_sound = sum(
        lazy_pinyin(a) == lazy_pinyin(b)
        for a, b in zip(homophone["true_value"].head(200), homophone["recorded_value"].head(200), strict=True)
    )
    assert same_sound >= 0.8 * min(200, homophone.height)
    assert of("id_missing")["recorded_value"].null_count() == of("id_missing").height
    late = of("late_report")
    assert late.height > 0 and (late["recorded_value"] != late["true_value"]).all()
    swap = of("date_daymonth_swap")
    assert (swap["recorded_value"] != swap["true_value"]).all()
    trad = of("name_traditional")
    assert (trad["recorded_value"] != trad["true_value"]).all()


def test_zero_rates_give_clean_extracts(tmp_path: Path) -> None:
    from padis.synth.generate import SynthConfig, generate

    rates = ErrorRates(**{k: 0.0 for k in ErrorRates.names()})
    result = generate(
        SynthConfig(
            out=tmp_path / "clean", persons=3_000, provinces=["11"], years=(2022, 2022), seed=2, rates=rates
        )
    )
    assert result.errors == 0
    assert pl.read_parquet(tmp_path / "clean" / "truth" / "errors.parquet").height == 0


def test_rate_overrides_and_bad_config(tmp_path: Path) -> None:
    rates = ErrorRates().with_overrides(["name_homophone=0.2", "duplicate = 0"])
    assert rates.name_homophone == 0.2 and rates.duplicate == 0
    cfg = tmp_path / "e.yaml"
    cfg.write_text("id_missing: 0.3\n", encoding="utf-8")
    assert ErrorRates().with_file(cfg).id_missing == 0.3
    for bad in (["nope=0.1"], ["name_typo=abc"], ["name_typo=0.9"]):
        with pytest.raises(ConfigError):
            ErrorRates().with_overrides(bad)
    cfg.write_text("- 1\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        ErrorRates().with_file(cfg)
