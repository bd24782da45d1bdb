"""Bulk Arrow <-> database transfer for SQLite and PostgreSQL, inside the caller's transaction.

Writing: SQLite gets ``executemany`` on the driver connection, rows streamed from Polars (its C
loop, inside the open transaction; per-batch constants inlined once); PostgreSQL gets one
``COPY ... FROM STDIN (FORMAT csv)`` fed by Arrow's CSV writer.
Reading: one query through the driver cursor into Arrow (PostgreSQL: ``COPY (query) TO STDOUT``).
Both work on a SQLAlchemy ``Connection`` so they join whatever transaction the caller holds: a batch
and its status row commit together or not at all.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy import Connection, Engine

COPY_CHUNK_ROWS = 200_000
SQLITE_CHUNK_ROWS = 100_000


def _as_arrow(data: pa.Table | pl.DataFrame) -> pa.Table:
    return data.to_arrow() if isinstance(data, pl.DataFrame) else data


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _pg_ready(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """Cast a column to text PostgreSQL's CSV COPY parses exactly (timestamps to microseconds)."""
    t = col.type
    if pa.types.is_timestamp(t):
        return col.cast(pa.timestamp("us", tz=t.tz)).cast(pa.string())
    if pa.types.is_dictionary(t) or pa.types.is_string_view(t):
        return col.cast(pa.string())
    return col


def write_arrow(
    conn: Connection,
    table: str,
    data: pa.Table | pl.DataFrame,
    *,
    constants: Mapping[str, Any] | None = None,
    on_conflict_ignore: bool = False,
) -> int:
    """Append every row of ``data`` to ``table`` (columns by name) in the connection's transaction.

    ``constants`` are columns with one value for every row (a batch id, say): sent once, not per
    row. Columns that are null throughout are left to their default. ``on_conflict_ignore`` skips
    rows that violate a unique constraint. Returns the number of rows sent.
    """
    frame = data if isinstance(data, pl.DataFrame) else pl.from_arrow(data)
    assert isinstance(frame, pl.DataFrame)
    if frame.height == 0:
        return 0
    nulls = frame.null_count()
    frame = frame.select([c for c in frame.columns if nulls.get_column(c).item() < frame.height])
    if conn.dialect.name == "sqlite":
        _write_sqlite(conn, table, frame, dict(constants or {}), on_conflict_ignore)
    elif conn.dialect.name == "postgresql":
        if constants:
            frame = frame.with_columns([pl.lit(v).alias(k) for k, v in constants.items()])
        _write_postgres(conn, table, frame.to_arrow(), on_conflict_ignore)
    else:  # pragma: no cover - engine.make_engine refuses other backends
        raise ValueError(f"bulk writing is not supported on {conn.dialect.name}")
    return frame.height


def _sqlite_literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        value = value.isoformat(sep=" ", timespec="microseconds")
    elif isinstance(value, date):
        value = value.isoformat()
    return "'" + str(value).replace("'", "''") + "'"


def _sqlite_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Columns as sqlite3 binds them: dates and times as ISO text (as SQLAlchemy stores them)."""
    exprs = []
    for name, dtype in frame.schema.items():
        if dtype == pl.Date:
            exprs.append(pl.col(name).dt.to_string("%Y-%m-%d"))
        elif isinstance(dtype, pl.Datetime):
            exprs.append(pl.col(name).dt.to_string("%Y-%m-%d %H:%M:%S%.6f"))
        elif dtype == pl.Boolean:
            exprs.append(pl.col(name).cast(pl.Int8))
        elif isinstance(dtype, pl.Categorical | pl.Enum):
            exprs.append(pl.col(name).cast(pl.String))
    return frame.with_columns(exprs) if exprs else frame


def _write_sqlite(
    conn: Connection, table: str, frame: pl.DataFrame, constants: dict[str, Any], ignore: bool
) -> None:
    cols = [*frame.columns, *constants]
    values = ["?"] * frame.width + [_sqlite_literal(v) for v in constants.values()]
    verb = "INSERT OR IGNORE" if ignore else "INSERT"
    sql = f"{verb} INTO {_quote(table)} ({', '.join(map(_quote, cols))}) VALUES ({', '.join(values)})"
    conn.exec_driver_sql("SELECT 1")  # SQLAlchemy begins lazily: open the transaction first
    cur = conn.connection.driver_connection.cursor()
    try:
        # One C-level executemany per chunk; rows come straight from Polars, no Python loop of ours.
        for start in range(0, frame.height, SQLITE_CHUNK_ROWS):
            cur.executemany(sql, _sqlite_frame(frame.slice(start, SQLITE_CHUNK_ROWS)).iter_rows())
    finally:
        cur.close()


def _csv_chunks(arrow: pa.Table) -> Iterable[bytes]:
    ready = pa.table({name: _pg_ready(arrow.column(name)) for name in arrow.column_names})
    opts = pacsv.WriteOptions(include_header=False, quoting_style="all_valid")
    for start in range(0, ready.num_rows, COPY_CHUNK_ROWS):
        sink = io.BytesIO()
        pacsv.write_csv(ready.slice(start, COPY_CHUNK_ROWS), sink, write_options=opts)
        yield sink.getvalue()


def _write_postgres(conn: Connection, table: str, arrow: pa.Table, ignore: bool) -> None:
    cols = ", ".join(map(_quote, arrow.column_names))
    raw = conn.connection.driver_connection
    conn.exec_driver_sql("SELECT 1")  # open the SQLAlchemy transaction first
    target = _quote(table)
    if ignore:
        staging = _quote(f"_stage_{table}")
        conn.exec_driver_sql(
            f"CREATE TEMP TABLE IF NOT EXISTS {staging} (LIKE {target} INCLUDING DEFAULTS) ON COMMIT DROP"
        )
        conn.exec_driver_sql(f"TRUNCATE {staging}")
        dest = staging
    else:
        dest = target
    with raw.cursor() as cur, cur.copy(f"COPY {dest} ({cols}) FROM STDIN (FORMAT csv)") as copy:
        for chunk in _csv_chunks(arrow):
            copy.write(chunk)
    if ignore:
        conn.exec_driver_sql(
            f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {dest} ON CONFLICT DO NOTHING"
        )
        conn.exec_driver_sql(f"TRUNCATE {dest}")


def read_arrow(
    conn: Connection,
    sql: str,
    params: Mapping[str, Any] | None = None,
    *,
    schema: pa.Schema | None = None,
) -> pa.Table:
    """Run ``sql`` (named ``:params``) and return the result as an Arrow table.

    ``schema`` fixes the result types (recommended: SQLite carries no column types for
    expressions); without it types come from the values.
    """
    from sqlalchemy import text

    result = conn.execute(text(sql), dict(params or {}))
    names = list(result.keys())
    rows = result.fetchall()
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [[] for _ in names]
    arrays = {}
    for i, name in enumerate(names):
        typ = schema.field(name).type if schema is not None and name in schema.names else None
        values = columns[i]
        if typ is not None and pa.types.is_date(typ) and values and isinstance(_first(values), str):
            arrays[name] = pc.cast(pa.array(values, pa.string()), pa.timestamp("s")).cast(typ)
        else:
            arrays[name] = pa.array(values, type=typ)
    return pa.table(arrays)


def _first(values: Sequence[Any]) -> Any:
    for v in values:
        if v is not None:
            return v
    return None


def read_polars(
    conn: Connection,
    sql: str,
    params: Mapping[str, Any] | None = None,
    *,
    schema: Mapping[str, pl.DataType] | None = None,
) -> pl.DataFrame:
    """Run ``sql`` and return a Polars frame, casting to ``schema`` when given."""
    frame = pl.from_arrow(read_arrow(conn, sql, params))
    assert isinstance(frame, pl.DataFrame)
    if schema:
        frame = frame.with_columns(
            [pl.col(k).cast(v, strict=False) for k, v in schema.items() if k in frame.columns]
        )
    return frame


class BulkSession:
    """One transaction for bulk work: statements and Arrow appends commit together or not at all."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect.name

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Run one statement with ``:name`` parameters; return its rows (empty when it has none)."""
        from sqlalchemy import text

        result = self.conn.execute(text(sql), dict(params or {}))
        return [tuple(r) for r in result.fetchall()] if result.returns_rows else []

    def write(
        self,
        table: str,
        data: pa.Table | pl.DataFrame,
        *,
        constants: Mapping[str, Any] | None = None,
        on_conflict_ignore: bool = False,
    ) -> int:
        """Append ``data`` to ``table`` inside this transaction; return the rows sent."""
        return write_arrow(self.conn, table, data, constants=constants, on_conflict_ignore=on_conflict_ignore)

    def read(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        """Run a query and return its result as Arrow."""
        return read_arrow(self.conn, sql, params)


@contextmanager
def bulk_session(engine: Engine) -> Iterator[BulkSession]:
    """Open one transaction for bulk work on ``engine``; commit on success, roll back on error.

    (SQLite goes through the same ``sqlite3`` connection as everything else: a second SQLite library
    in the process, such as ADBC's, would break the other's WAL locks.)
    """
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA cache_size=-262144")  # keep a big batch's index pages in memory
        yield BulkSession(conn)
