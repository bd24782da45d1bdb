"""Spark local mode: the same settings give the same levels and clusters as DuckDB."""

from __future__ import annotations

import polars as pl
import pytest
from test_linkage_comparisons import DATE_CASES, ID_CASES, ID_EXPECTED, NAME_CASES, NAME_EXPECTED, levels

from padis.linkage import model as mdl
from padis.linkage.pipeline import link
from padis.linkage.settings import person_settings

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]


def test_comparison_levels_on_spark(spark) -> None:  # type: ignore[no-untyped-def]
    assert levels(ID_CASES, "id_number", engine="spark") == ID_EXPECTED
    assert levels(NAME_CASES, "name", engine="spark") == NAME_EXPECTED
    assert levels(DATE_CASES, "birth_date", engine="spark") == levels(DATE_CASES, "birth_date")


def test_spark_clusters_equal_duckdb(spark, fake_records, trained) -> None:  # type: ignore[no-untyped-def]
    records, _ = fake_records
    # The first 400 records of each source: the same persons seen several times.
    sample = records.filter(pl.col("record_id").str.extract(r"-(\d+)$").cast(pl.Int64) < 400)
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
    assert pa.height == pb.height > 300
    assert pa.select("unique_id_l", "unique_id_r").equals(pb.select("unique_id_l", "unique_id_r"))
    assert (pa["match_probability"] - pb["match_probability"]).abs().max() < 1e-6
    assert a["cluster_id"].n_unique() < a.height
