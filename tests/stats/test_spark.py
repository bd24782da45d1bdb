"""The same indicator query gives the same answers on DuckDB and on Spark (local mode)."""

from __future__ import annotations

import polars as pl
import pytest

from padis.stats.indicators import compute_indicators

pytestmark = pytest.mark.spark


@pytest.fixture(scope="session")
def spark():
    pytest.importorskip("pyspark")
    from padis.stats.engines import spark_session

    return spark_session()


@pytest.mark.parametrize("level", ["county", "province"])
def test_duckdb_and_spark_agree(hand, spark, level):
    keys = ["indicator", "ref_area", "period", "sex", "age"]
    duck = compute_indicators(hand, "2020,2020R", level=level, engine="duckdb").sort(keys)
    sprk = compute_indicators(hand, "2020,2020R", level=level, engine="spark").sort(keys)
    assert duck.height == sprk.height > 50
    assert duck.select(keys).equals(sprk.select(keys))
    both = duck.join(sprk, on=keys, suffix="_spark")
    diff = both.filter((pl.col("value") - pl.col("value_spark")).abs() > 1e-9)
    assert diff.height == 0, diff
    assert both.filter(pl.col("value").is_null() != pl.col("value_spark").is_null()).height == 0
