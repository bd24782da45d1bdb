"""Spark local mode: the same settings give the same levels and clusters as DuckDB."""

from __future__ import annotations

import polars as pl
import pytest
from test_linkage_comparisons import (
    DATE_CASES,
    DATE_EXPECTED,
    ID_CASES,
    ID_EXPECTED,
    NAME_CASES,
    NAME_EXPECTED,
    level_table,
)

from padis.linkage import model as mdl
from padis.linkage.pipeline import link
from padis.linkage.settings import person_settings

# JVM start (~20 s) and Spark jobs: slow but the only proof that both engines agree.
pytestmark = [pytest.mark.spark, pytest.mark.slow, pytest.mark.xdist_group("spark")]


def test_comparison_levels_on_spark(spark) -> None:  # type: ignore[no-untyped-def]
    """Identity-number, name and date cases in one Spark job (the fields are independent)."""
    n = max(len(ID_CASES), len(NAME_CASES), len(DATE_CASES))
    merged = []
    for i in range(n):
        left: dict[str, str | None] = {}
        right: dict[str, str | None] = {}
        for cases in (ID_CASES, NAME_CASES, DATE_CASES):
            if i < len(cases):
                left |= cases[i][0]
                right |= cases[i][1]
        merged.append((left, right))
    got = level_table(merged, engine="spark")
    assert got["id_number"][: len(ID_CASES)] == ID_EXPECTED
    assert got["name"][: len(NAME_CASES)] == NAME_EXPECTED
    assert got["birth_date"][: len(DATE_CASES)] == DATE_EXPECTED


def test_spark_clusters_equal_duckdb(spark, fake_records, trained) -> None:  # type: ignore[no-untyped-def]
    records, _ = fake_records
    # The first 250 records of each source: the same persons seen several times.
    sample = records.filter(pl.col("record_id").str.extract(r"-(\d+)$").cast(pl.Int64) < 250)
    settings = person_settings()
    prepared = mdl.prepare(sample, settings)
    duck = link(prepared, settings, model=trained, engine="duckdb")
    sprk = link(prepared, settings, model=trained, engine="spark")
    a = duck.clusters.sort("unique_id")
    b = sprk.clusters.sort("unique_id")
    assert a.equals(b)
    pa = duck.pairs.select("unique_id_l", "unique_id_r", "match_probability").sort(
        "unique_id_l", "unique_id_r"
    )
    pb = sprk.pairs.select("unique_id_l", "unique_id_r", "match_probability").sort(
        "unique_id_l", "unique_id_r"
    )
    assert pa.height == pb.height > 150
    assert pa.select("unique_id_l", "unique_id_r").equals(pb.select("unique_id_l", "unique_id_r"))
    assert (pa["match_probability"] - pb["match_probability"]).abs().max() < 1e-6
    assert a["cluster_id"].n_unique() < a.height
