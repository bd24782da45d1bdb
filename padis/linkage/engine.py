"""Splink backends: DuckDB (default, embedded) and Spark (national scale); same settings on both."""

from __future__ import annotations

import os
import uuid
from typing import Any

import polars as pl

from padis.errors import ConfigError

ENGINES = ("duckdb", "spark")
_SPARK: Any = None


def spark_session() -> Any:
    """A local-mode Spark session shared by this process (no UI, loopback only)."""
    global _SPARK
    if _SPARK is not None:
        return _SPARK
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise ConfigError(
            "the Spark engine needs pyspark", where="--engine spark", why="pip install 'padis[spark]'"
        ) from exc
    from splink.backends.spark import similarity_jar_location

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    master = os.environ.get("PADIS_SPARK_MASTER", "local[2]")
    _SPARK = (
        SparkSession.builder.master(master)
        .appName("padis-linkage")
        .config("spark.ui.enabled", "false")
        .config("spark.jars", similarity_jar_location())
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", os.environ.get("PADIS_SPARK_PARTITIONS", "4"))
        .config("spark.default.parallelism", "4")
        .config("spark.driver.memory", os.environ.get("PADIS_SPARK_MEMORY", "4g"))
        .getOrCreate()
    )
    _SPARK.sparkContext.setLogLevel("ERROR")
    _SPARK.sparkContext.setCheckpointDir(os.environ.get("PADIS_SPARK_CHECKPOINTS", "/tmp/padis-spark-ckpt"))
    return _SPARK


def make_db_api(
    engine: str = "duckdb", *, threads: int | None = None, memory_limit: str | None = None
) -> Any:
    """A Splink database API for ``engine`` (``duckdb`` or ``spark``)."""
    if engine == "duckdb":
        import duckdb
        from splink import DuckDBAPI

        con = duckdb.connect()
        con.execute(f"SET threads = {int(threads or os.cpu_count() or 2)}")
        con.execute(f"SET memory_limit = '{memory_limit or os.environ.get('PADIS_DUCKDB_MEMORY', '6GB')}'")
        con.execute("SET preserve_insertion_order = false")
        con.execute("SET enable_progress_bar = false")  # padis shows its own Rich progress
        return DuckDBAPI(connection=con)
    if engine == "spark":
        from splink import SparkAPI

        return SparkAPI(spark_session=spark_session(), break_lineage_method="persist")
    raise ConfigError(f"unknown engine {engine!r}", where="--engine", why="use duckdb or spark")


def register(db_api: Any, frame: pl.DataFrame, name: str) -> Any:
    """Hand a Polars frame to the backend as a Splink table (unique name: Spark views outlive a run)."""
    name = f"{name}_{uuid.uuid4().hex[:8]}"
    if type(db_api).__name__.startswith("Spark"):
        spark = db_api.spark
        sdf = spark.createDataFrame(frame.to_pandas(use_pyarrow_extension_array=False))
        return db_api.register(sdf, table_name=name)
    return db_api.register(frame.to_arrow(), table_name=name)


def to_polars(splink_df: Any) -> pl.DataFrame:
    """A Splink result table as a Polars frame."""
    return pl.from_arrow(splink_df.as_pyarrow_table())  # type: ignore[return-value]
