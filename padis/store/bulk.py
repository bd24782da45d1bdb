"""Bulk Arrow <-> database transfer for SQLite and PostgreSQL, inside the caller's transaction.

Writing: SQLite gets ``executemany`` on the driver connection, rows streamed from Polars (its C
loop, inside the open transaction; per-batch constants inlined once); PostgreSQL gets one
``COPY ... FROM STDIN`` in binary format built columnar with Arrow (CSV from Arrow's writer when a
column has no binary form here). A large batch on a SQLite file can
instead run in a child process (:func:`batch_session`): ADBC binds Arrow columns in C, ~3x faster than
``sqlite3``'s per-value binding, and the child's transaction holds the batch all-or-nothing.
Reading: one query through the driver cursor into Arrow (PostgreSQL: ``COPY (query) TO STDOUT``).
Both work on a SQLAlchemy ``Connection`` so they join whatever transaction the caller holds: a batch
and its status row commit together or not at all.
"""

from __future__ import annotations

import gc
import io
import json
import re
import struct
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import date, datetime
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from padis.errors import StorageError

COPY_CHUNK_ROWS = 200_000
# Small enough that the server starts on a COPY's first chunk soon, while we build the next ones.
BINARY_CHUNK_ROWS = 25_000
SQLITE_CHUNK_ROWS = 100_000
# From this many rows a SQLite batch is written by the ADBC child (below it, start-up costs more).
SQLITE_CHILD_MIN_ROWS = 50_000


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


def _rows_to_send(data: pa.Table | pl.DataFrame) -> pl.DataFrame:
    """``data`` as Polars without the columns that are null throughout (left to their defaults)."""
    frame = data if isinstance(data, pl.DataFrame) else pl.from_arrow(data)
    assert isinstance(frame, pl.DataFrame)
    if frame.height == 0:
        return frame
    nulls = frame.null_count()
    return frame.select([c for c in frame.columns if nulls.get_column(c).item() < frame.height])


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
    frame = _rows_to_send(data)
    if frame.height == 0:
        return 0
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
        with gc_paused():
            # One C-level executemany per chunk; rows come straight from Polars, no Python loop of ours.
            for start in range(0, frame.height, SQLITE_CHUNK_ROWS):
                cur.executemany(sql, _sqlite_frame(frame.slice(start, SQLITE_CHUNK_ROWS)).iter_rows())
    finally:
        cur.close()


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block."""
    # Bulk row tuples hold no cycles, and the collector's passes over millions of them cost more than the
    # work itself (fetching 2.5M rows of 5 columns into Arrow: 5.7 s with it, 3.6 s without).
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _csv_chunks(arrow: pa.Table) -> Iterable[bytes]:
    ready = pa.table({name: _pg_ready(arrow.column(name)) for name in arrow.column_names})
    opts = pacsv.WriteOptions(include_header=False, quoting_style="all_valid")
    for start in range(0, ready.num_rows, COPY_CHUNK_ROWS):
        sink = io.BytesIO()
        pacsv.write_csv(ready.slice(start, COPY_CHUNK_ROWS), sink, write_options=opts)
        yield sink.getvalue()


# PostgreSQL's binary COPY: signature, flags, header extension; every tuple starts with its field count.
_PG_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_PG_TRAILER = struct.pack(">h", -1)
_PG_EPOCH_DAYS = 10_957  # 2000-01-01 in days since 1970-01-01
_PG_EPOCH_US = 946_684_800_000_000
_PG_INT_WIDTH = {"smallint": 2, "integer": 4, "bigint": 8}


def _pg_binary_kind(typ: pa.DataType, pg_type: str) -> str | None:
    """How an Arrow column goes into a PostgreSQL column in binary COPY (None: only CSV can say)."""
    if pa.types.is_dictionary(typ):
        typ = typ.value_type
    if pg_type in ("text", "character varying") and (
        pa.types.is_string(typ) or pa.types.is_large_string(typ) or pa.types.is_string_view(typ)
    ):
        return "text"
    if pg_type in _PG_INT_WIDTH and pa.types.is_integer(typ):
        return "int"
    if pg_type == "date" and pa.types.is_date32(typ):
        return "date"
    if pa.types.is_timestamp(typ) and pg_type == (
        "timestamp with time zone" if typ.tz else "timestamp without time zone"
    ):
        return "timestamp"
    if pg_type == "boolean" and pa.types.is_boolean(typ):
        return "bool"
    if pg_type == "double precision" and pa.types.is_floating(typ):
        return "float8"
    return None


def _pg_types(conn: Connection, table: str) -> dict[str, str]:
    rows = conn.exec_driver_sql(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = %(t)s AND table_schema = ANY (current_schemas(false))",
        {"t": table},
    ).fetchall()
    return {str(name): str(typ) for name, typ in rows}


def _be_binary(values: np.ndarray, width: int) -> pa.Array:
    """Big-endian fixed-width integers as one binary value per element."""
    be = np.ascontiguousarray(values.astype(f">i{width}"))
    fixed = pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), len(be), [None, pa.py_buffer(be)])
    return fixed.cast(pa.binary())


def _pg_field(arr: pa.Array, kind: str, pg_type: str) -> list[pa.Array]:
    """The length word and the bytes of one column, per row (length -1 for null)."""
    valid = pc.is_valid(arr).to_numpy(zero_copy_only=False)
    if kind == "text":
        data = pc.fill_null(arr.cast(pa.string()), "").cast(pa.binary())
        lengths = pc.binary_length(data).to_numpy(zero_copy_only=False)
    else:
        if kind == "int":
            width = _PG_INT_WIDTH[pg_type]
            ints = pc.fill_null(arr.cast(pa.int64()), 0).to_numpy(zero_copy_only=False)
            bound = 1 << (8 * width - 1)
            if len(ints) and (ints.min() < -bound or ints.max() >= bound):
                raise OverflowError(f"a value does not fit PostgreSQL {pg_type}")
        elif kind == "date":
            width = 4
            ints = pc.fill_null(arr.cast(pa.int32()), 0).to_numpy(zero_copy_only=False).astype(np.int64)
            ints -= _PG_EPOCH_DAYS
        elif kind == "timestamp":
            width = 8
            micros = arr.cast(pa.timestamp("us", tz=arr.type.tz)).cast(pa.int64())
            ints = pc.fill_null(micros, 0).to_numpy(zero_copy_only=False) - _PG_EPOCH_US
        elif kind == "bool":
            width = 1
            ints = pc.fill_null(arr.cast(pa.int8()), 0).to_numpy(zero_copy_only=False)
        else:  # float8: the IEEE bits, big-endian
            width = 8
            floats = pc.fill_null(arr.cast(pa.float64()), 0.0).to_numpy(zero_copy_only=False)
            ints = floats.astype(np.float64).view(np.int64)
        data = _be_binary(ints, width)
        if not valid.all():
            data = pc.if_else(pa.array(valid), data, pa.scalar(b"", pa.binary()))
        lengths = np.full(len(arr), width, np.int32)
    return [_be_binary(np.where(valid, lengths, -1), 4), data]


def _binary_chunks(arrow: pa.Table, kinds: list[tuple[str, str]]) -> Iterable[pa.Buffer | bytes]:
    """Binary COPY data in chunks, built columnar: Arrow joins each row's fields in C."""
    yield _PG_SIGNATURE
    for start in range(0, arrow.num_rows, BINARY_CHUNK_ROWS):
        part = arrow.slice(start, BINARY_CHUNK_ROWS)
        fields = [_be_binary(np.full(part.num_rows, part.num_columns, np.int16), 2)]
        for (kind, pg_type), col in zip(kinds, part.columns, strict=True):
            fields += _pg_field(col.combine_chunks(), kind, pg_type)
        rows = pc.binary_join_element_wise(*fields, b"")
        offsets = np.frombuffer(rows.buffers()[1], np.int32)[rows.offset : rows.offset + len(rows) + 1]
        yield rows.buffers()[2][int(offsets[0]) : int(offsets[-1])]
    yield _PG_TRAILER


def _write_postgres(conn: Connection, table: str, arrow: pa.Table, ignore: bool) -> None:
    from psycopg.copy import QueuedLibpqWriter

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
    # Binary COPY when every column has a binary form: the server then skips CSV parsing and the
    # text input functions (a third of its time on a large batch).
    pg_types = _pg_types(conn, table)
    kinds = [
        (_pg_binary_kind(arrow.schema.field(name).type, pg_types.get(name, "")) or "", pg_types.get(name, ""))
        for name in arrow.column_names
    ]
    binary = all(kind for kind, _ in kinds)
    chunks = _binary_chunks(arrow, kinds) if binary else _csv_chunks(arrow)
    sql = f"COPY {dest} ({cols}) FROM STDIN (FORMAT {'binary' if binary else 'csv'})"
    # The queued writer sends from its own thread, so the server parses one chunk while we build the next.
    with raw.cursor() as cur, cur.copy(sql, writer=QueuedLibpqWriter(cur)) as copy:
        for chunk in chunks:
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

    if conn.dialect.name == "postgresql":
        table = _pg_copy_out(conn, sql, params, schema)
        if table is not None:
            return table
    with gc_paused():
        result = conn.execute(text(sql), dict(params or {}))
        names = list(result.keys())
        rows = result.fetchall()
        columns: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [[] for _ in names]
        del rows
        arrays = {}
        for i, name in enumerate(names):
            typ = schema.field(name).type if schema is not None and name in schema.names else None
            values = columns[i]
            if typ is not None and pa.types.is_date(typ) and values and isinstance(_first(values), str):
                arrays[name] = pc.cast(pa.array(values, pa.string()), pa.timestamp("s")).cast(typ)
            else:
                arrays[name] = pa.array(values, type=typ)
        return pa.table(arrays)


# PostgreSQL type OIDs whose CSV text Arrow parses exactly (integers widened to int64, as Python ints were).
_PG_ARROW: dict[int, pa.DataType] = {
    16: pa.bool_(),
    20: pa.int64(),
    21: pa.int64(),
    23: pa.int64(),
    25: pa.string(),
    700: pa.float64(),
    701: pa.float64(),
    1042: pa.string(),
    1043: pa.string(),
    1082: pa.date32(),
    1114: pa.timestamp("us"),
}


def _pg_copy_out(
    conn: Connection, sql: str, params: Mapping[str, Any] | None, schema: pa.Schema | None
) -> pa.Table | None:
    """``sql``'s result through ``COPY (sql) TO STDOUT`` as CSV parsed by Arrow (columnar, no row objects).

    None when a result column has a type without an exact CSV form here (numeric, timestamptz, json, …):
    the caller then fetches rows.
    """
    values = dict(params or {}) or None
    # psycopg reads %-placeholders only when there are parameters.
    query = _NAMED.sub(r"%(\1)s", sql.replace("%", "%%")) if values else sql
    cur = conn.connection.driver_connection.cursor()
    try:
        cur.execute(f"SELECT * FROM ({query}) AS q LIMIT 0", values)
        columns = [(d.name, d.type_code) for d in cur.description or []]
        names = [n for n, _ in columns]
        if not columns or len(set(names)) < len(names) or any(o not in _PG_ARROW for _, o in columns):
            return None
        data = io.BytesIO()
        with cur.copy(f"COPY ({query}) TO STDOUT (FORMAT csv)", values) as copy:
            for block in copy:
                data.write(block)
    except Exception as exc:  # the driver's error, raised as SQLAlchemy's (as for every other query)
        raise DBAPIError.instance(sql, values, exc, type(exc)) from exc
    finally:
        cur.close()
    types = {n: _PG_ARROW[o] for n, o in columns}
    if data.tell() == 0:
        table = pa.table({n: pa.array([], type=types[n]) for n in names})
    else:
        data.seek(0)
        table = pacsv.read_csv(
            data,
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                null_values=[""],  # PostgreSQL writes NULL as an empty unquoted field, '' as ""
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
                true_values=["t"],
                false_values=["f"],
            ),
        )
    if schema is not None:
        table = table.cast(
            pa.schema([schema.field(n) if n in schema.names else table.schema.field(n) for n in names])
        )
    return table


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
        # psycopg connections may be used from another thread; sqlite3 objects stay in the one that made them.
        self.threadsafe_writes = self.dialect == "postgresql"

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


_NAMED = re.compile(r"(?<![:\w]):(\w+)")


def _child_param(value: Any) -> Any:
    """A parameter as JSON the child binds, in SQLAlchemy's SQLite storage formats."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


class SqliteChildSession:
    """A :class:`BulkSession` for one SQLite transaction held by an ADBC child process."""

    dialect = "sqlite"
    threadsafe_writes = True  # the child does the work; a write only sends bytes down its pipe

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        self.database = str(proc.args[-1]) if isinstance(proc.args, list) else "SQLite database"
        self._send({"op": "open"})
        self._answer()  # the child is connected and holds the write lock

    def _send(self, header: Mapping[str, Any], payload: bytes | pa.Buffer = b"") -> None:
        head = json.dumps(header, ensure_ascii=False).encode()
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(struct.pack("<IQ", len(head), len(payload)) + head)
            if len(payload):
                self.proc.stdin.write(memoryview(payload))
            self.proc.stdin.flush()
        except BrokenPipeError:
            self._answer()  # the child stopped: raise its error
            raise

    def _answer(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            err = self.proc.stderr.read().decode(errors="replace")[-2000:] if self.proc.stderr else ""
            raise StorageError(
                "the SQLite writer process stopped", where=self.database, why=err.strip() or "no message"
            )
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            if answer["kind"] == "IntegrityError":
                raise IntegrityError("bulk batch write", None, RuntimeError(answer["error"]))
            raise StorageError("the batch could not be written", where=self.database, why=answer["error"])
        return answer

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Run one statement with ``:name`` parameters; return its rows (empty when it has none)."""
        values = dict(params or {})
        names = _NAMED.findall(sql)
        self._send(
            {"op": "execute", "sql": _NAMED.sub("?", sql), "params": [_child_param(values[n]) for n in names]}
        )
        return [tuple(r) for r in self._answer()["rows"]]

    def write(
        self,
        table: str,
        data: pa.Table | pl.DataFrame,
        *,
        constants: Mapping[str, Any] | None = None,
        on_conflict_ignore: bool = False,
    ) -> int:
        """Send ``data`` (plus constant columns) for the child to append; return the rows sent."""
        frame = _rows_to_send(data)
        if frame.height == 0:
            return 0
        if constants:
            frame = frame.with_columns([pl.lit(v).alias(k) for k, v in constants.items()])
        arrow = _sqlite_frame(frame).to_arrow()
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, arrow.schema) as writer:
            writer.write_table(arrow)
        self._send({"op": "write", "table": table, "ignore": on_conflict_ignore}, sink.getvalue())
        return frame.height

    def commit(self) -> None:
        """Commit the child's transaction."""
        self._send({"op": "commit"})
        self._answer()


def start_writer(engine: Engine, rows: int) -> subprocess.Popen[bytes] | None:
    """Start the ADBC child for a batch of about ``rows`` rows when it will write it (None otherwise).

    Starting it before validation hides its start-up (Python, Arrow, ADBC: ~0.5-1.5 s); it connects
    only when :func:`batch_session` opens the transaction. :func:`stop_writer` ends an unused one.
    """
    database = engine.url.database
    if engine.dialect.name != "sqlite" or rows < SQLITE_CHILD_MIN_ROWS or database in (None, "", ":memory:"):
        return None
    return subprocess.Popen(
        [sys.executable, "-m", "padis.store.sqlite_writer", str(database)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def stop_writer(proc: subprocess.Popen[bytes] | None, *, wait: bool = True) -> None:
    """End the child: end of input before "commit" rolls its transaction back.

    ``wait``: return once it has exited (the write lock is free). After a commit the write lock is
    already free and the child only checkpoints: ``wait=False`` reaps it on a daemon thread instead.
    """
    if proc is None or proc.stdin is None or proc.stdin.closed:
        return  # none, or already stopped (and waited for or being reaped)
    with suppress(BrokenPipeError):  # the child is gone: nothing left to tell it
        proc.stdin.close()
    if wait:
        _reap(proc)
    else:
        threading.Thread(target=_reap, args=(proc,), name="padis-writer-reaper", daemon=True).start()


def _reap(proc: subprocess.Popen[bytes]) -> None:
    """Wait for the child to exit and close its pipes."""
    proc.wait()
    for pipe in (proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()


@contextmanager
def batch_session(
    engine: Engine, rows: int, writer: subprocess.Popen[bytes] | None = None
) -> Iterator[BulkSession | SqliteChildSession]:
    """A bulk transaction for writing ``rows`` rows: the ADBC child for a large batch on a SQLite file.

    ``writer`` is a child from :func:`start_writer` (this takes it over); otherwise one is started.
    """
    proc = writer or start_writer(engine, rows)
    if proc is None:
        with bulk_session(engine) as session:
            yield session
        return
    committed = False
    try:
        session = SqliteChildSession(proc)
        yield session
        session.commit()
        committed = True
    finally:
        stop_writer(proc, wait=not committed)
