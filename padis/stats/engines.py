"""Backends for the indicator engine: a small dialect class per SQL engine (DuckDB by default, Spark SQL)."""

from __future__ import annotations

import os
from typing import Protocol

import polars as pl

from padis.errors import ConfigError


class Backend(Protocol):
    """What the engine-agnostic core needs from a SQL engine."""

    name: str

    def register(self, name: str, frame: pl.DataFrame) -> None:
        """Expose a frame as a table ``name``."""

    def materialize(self, name: str, sql: str) -> None:
        """Compute ``sql`` once and keep it as table ``name``."""

    def query(self, sql: str) -> pl.DataFrame:
        """Run a query and return its result."""

    def close(self) -> None:
        """Release the tables this backend created."""


class DuckDBBackend:
    """DuckDB in process: the default, fast on one machine."""

    name = "duckdb"

    def __init__(self, threads: int | None = None, memory_limit: str | None = None) -> None:
        import duckdb

        self.con = duckdb.connect()
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            self.con.execute(f"SET memory_limit = '{memory_limit}'")
        self._frames: dict[str, object] = {}

    def register(self, name: str, frame: pl.DataFrame) -> None:
        """Register the frame's Arrow data as a view (zero copy)."""
        # string_view columns are Polars' own buffers (the default large_string export copies every
        # string: over a second for a 10 M-person register); DuckDB scans them directly
        arrow = frame.to_arrow(compat_level=pl.CompatLevel.newest())
        self._frames[name] = arrow
        self.con.register(name, arrow)

    def materialize(self, name: str, sql: str) -> None:
        """Create a temporary table from ``sql``."""
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")

    def query(self, sql: str) -> pl.DataFrame:
        """Run ``sql`` and return a Polars frame."""
        return pl.from_arrow(self.con.sql(sql).to_arrow_table())  # type: ignore[return-value]

    def close(self) -> None:
        """Close the connection."""
        self.con.close()


_SPARK = None


def spark_session():  # type: ignore[no-untyped-def]
    """One local-mode Spark session per process (offline: loopback only, no UI)."""
    global _SPARK
    if _SPARK is not None:
        return _SPARK
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise ConfigError("pyspark is not installed", where="--engine spark",
                          why="install the optional extra: pip install 'padis[spark]'") from exc
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", os.sys.executable)  # type: ignore[attr-defined]
    _SPARK = (
        SparkSession.builder.master(os.environ.get("PADIS_SPARK_MASTER", "local[2]"))
        .appName("padis-stats")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", os.environ.get("PADIS_SPARK_PARTITIONS", "2"))
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    _SPARK.sparkContext.setLogLevel("ERROR")
    return _SPARK


class SparkBackend:
    """Spark SQL (local mode here, a cluster at national scale)."""

    name = "spark"

    def __init__(self, session=None) -> None:  # type: ignore[no-untyped-def]
        self.spark = session or spark_session()
        self._views: list[str] = []

    def register(self, name: str, frame: pl.DataFrame) -> None:
        """Create a temp view from the frame's Arrow data."""
        self.spark.createDataFrame(frame.to_arrow()).createOrReplaceTempView(name)
        self._views.append(name)

    def materialize(self, name: str, sql: str) -> None:
        """Cache the query result as a temp view."""
        self.spark.sql(sql).cache().createOrReplaceTempView(name)
        self._views.append(name)

    def query(self, sql: str) -> pl.DataFrame:
        """Run ``sql`` and collect it as Arrow."""
        df = self.spark.sql(sql)
        return pl.from_arrow(df.toArrow())  # type: ignore[return-value]

    def close(self) -> None:
        """Drop the temp views (the session stays for the next call)."""
        for name in self._views:
            self.spark.catalog.dropTempView(name)
        self._views.clear()


def make_backend(name: str = "duckdb") -> Backend:
    """The backend called ``name`` (``duckdb`` or ``spark``)."""
    if name == "duckdb":
        return DuckDBBackend()
    if name == "spark":
        return SparkBackend()
    raise ConfigError(f"unknown engine {name!r}", where="--engine", why="use duckdb or spark")
