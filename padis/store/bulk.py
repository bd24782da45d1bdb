"""Bulk Arrow <-> database transfer for SQLite and PostgreSQL, inside the caller's transaction.

Writing: SQLite gets one ``executemany`` on the driver connection (its C loop, inside the open
transaction); PostgreSQL gets one ``COPY ... FROM STDIN (FORMAT csv)`` fed by Arrow's CSV writer.
Reading: one query through the driver cursor into Arrow (PostgreSQL: ``COPY (query) TO STDOUT``).
Both work on a SQLAlchemy ``Connection`` so they join whatever transaction the caller holds: a batch
and its status row commit together or not at all.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy import Connection

COPY_CHUNK_ROWS = 200_000
SQLITE_CHUNK_ROWS = 100_000


def _as_arrow(data: pa.Table | pl.DataFrame) -> pa.Table:
    return data.to_arrow() if isinstance(data, pl.DataFrame) else data


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_ready(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """Cast a column to what sqlite3 binds natively (dates as ISO text, booleans as integers)."""
    t = col.type
    if pa.types.is_date(t):
        return pc.strftime(col, format="%Y-%m-%d")
    if pa.types.is_timestamp(t):
        return pc.strftime(col, format="%Y-%m-%d %H:%M:%S.%f")
    if pa.types.is_boolean(t):
        return col.cast(pa.int8())
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return col.cast(pa.string())
    if pa.types.is_dictionary(t):
        return col.cast(pa.string())
    return col


def _pg_ready(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """Cast a column to text PostgreSQL's CSV COPY parses exactly (timestamps to microseconds)."""
    t = col.type
    if pa.types.is_timestamp(t):
        fmt = "%Y-%m-%d %H:%M:%S.%f" if t.tz is None else "%Y-%m-%d %H:%M:%S.%f%z"
        return pc.strftime(col.cast(pa.timestamp("us", tz=t.tz)), format=fmt)
    if pa.types.is_dictionary(t) or pa.types.is_string_view(t):
        return col.cast(pa.string())
    return col


def write_arrow(
    conn: Connection,
    table: str,
    data: pa.Table | pl.DataFrame,
    *,
    on_conflict_ignore: bool = False,
) -> int:
    """Append every row of ``data`` to ``table`` (columns by name) in the connection's transaction.

    ``on_conflict_ignore`` skips rows that violate a unique constraint (through a staging table on
    PostgreSQL). Returns the number of rows sent.
    """
    arrow = _as_arrow(data)
    if arrow.num_rows == 0:
        return 0
    if conn.dialect.name == "sqlite":
        _write_sqlite(conn, table, arrow, on_conflict_ignore)
    elif conn.dialect.name == "postgresql":
        _write_postgres(conn, table, arrow, on_conflict_ignore)
    else:  # pragma: no cover - engine.make_engine refuses other backends
        raise ValueError(f"bulk writing is not supported on {conn.dialect.name}")
    return arrow.num_rows


def _write_sqlite(conn: Connection, table: str, arrow: pa.Table, ignore: bool) -> None:
    cols = arrow.column_names
    verb = "INSERT OR IGNORE" if ignore else "INSERT"
    sql = (
        f"{verb} INTO {_quote(table)} ({', '.join(map(_quote, cols))}) "
        f"VALUES ({', '.join('?' for _ in cols)})"
    )
    raw = conn.connection.driver_connection
    # Make sure the DBAPI transaction is open so the executemany joins it (SQLAlchemy begins lazily).
    conn.exec_driver_sql("SELECT 1")
    cur = raw.cursor()
    try:
        for start in range(0, arrow.num_rows, SQLITE_CHUNK_ROWS):
            part = arrow.slice(start, SQLITE_CHUNK_ROWS)
            columns = [_sqlite_ready(part.column(i)).to_pylist() for i in range(part.num_columns)]
            cur.executemany(sql, zip(*columns, strict=True))
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
