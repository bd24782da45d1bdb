"""The same indicator query gives the same answers on DuckDB and on Spark (local mode)."""

from __future__ import annotations

import polars as pl
import pytest

from padis.stats.indicators import IndicatorEngine

pytestmark = pytest.mark.spark


@pytest.fixture(scope="session")
def spark():
    pytest.importorskip("pyspark")
    from padis.stats.engines import spark_session

    return spark_session()


def test_duckdb_and_spark_agree(hand, spark):
    keys = ["indicator", "ref_area", "period", "sex", "age"]
    duck_engine, spark_engine = IndicatorEngine(hand, "duckdb"), IndicatorEngine(hand, "spark")
    try:
        for level in ("county", "province"):
            duck = duck_engine.compute("2020,2020R", level=level).sort(keys)
            sprk = spark_engine.compute("2020,2020R", level=level).sort(keys)
            assert duck.height == sprk.height > 40
            assert duck.select(keys).equals(sprk.select(keys))
            both = duck.join(sprk, on=keys, suffix="_spark")
            diff = both.filter((pl.col("value") - pl.col("value_spark")).abs() > 1e-9)
            assert diff.height == 0, diff
            assert both.filter(pl.col("value").is_null() != pl.col("value_spark").is_null()).height == 0
    finally:
        duck_engine.close()
        spark_engine.close()
