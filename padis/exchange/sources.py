"""What exchange needs from other packages (dictionary, divisions, files, register), in one place."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine

from padis import fileio
from padis.register import feed
from padis.standards.dictionary import get_dictionary, mask_frame

LEVELS = ("public", "internal", "sensitive", "secret")
# Person columns of the golden record (contracts.md, Register); the order of query output.
PERSON_FIELDS = (
    "id_number",
    "name",
    "sex",
    "birth_date",
    "ethnicity",
    "education",
    "marital_status",
    "hukou_type",
    "registered_division",
    "residence_division",
    "death_date",
    "status",
)


@dataclass(frozen=True)
class FieldInfo:
    """One person field as exchange sees it: label, sensitivity, authoritative agency."""

    name: str
    label: str
    sensitivity: str
    authority: str


@lru_cache(maxsize=1)
def person_fields() -> dict[str, FieldInfo]:
    """The person fields exchange serves, from the data dictionary, in query-output order."""
    dictionary = get_dictionary()
    record = dictionary.records["person"]
    out = {
        f.name: FieldInfo(f.name, f.label, f.sensitivity, dictionary.authority(f.name) or f.authority)
        for f in record.fields
        if f.name in PERSON_FIELDS
    }
    return {name: out[name] for name in PERSON_FIELDS}


def authority(field: str) -> str:
    """The agency authoritative for ``field`` ("one data, one source")."""
    info = person_fields().get(field)
    return info.authority if info else ""


def level(name: str | None) -> int:
    """Rank of a sensitivity or clearance level (unknown → most restrictive)."""
    return LEVELS.index(name) if name in LEVELS else len(LEVELS) - 1


def mask_value(field: str, value: Any, clearance: str) -> Any:
    """``value`` as a user of ``clearance`` may see it (the dictionary's masking rule, e.g. 张*)."""
    return None if value is None else get_dictionary().mask_value(field, value, clearance)


def mask_columns(frame: pl.DataFrame, fields: list[str], clearance: str) -> pl.DataFrame:
    """Mask the person-field columns of ``frame`` for ``clearance`` (columnar, through the dictionary)."""
    return frame.with_columns(mask_frame("person", frame.select(fields), clearance))


@lru_cache(maxsize=4096)
def division_contains(scope: str, code: str) -> bool:
    """Whether division ``code`` lies in ``scope`` (registry; prefix rule for codes it does not know)."""
    if scope == code:
        return True
    try:
        from padis.standards.divisions import get_divisions

        return bool(get_divisions().contains(scope, code))
    except Exception:  # noqa: BLE001 - unknown codes fall back to the GB/T 2260 prefix rule
        return code.startswith(scope_prefix(scope))


def scope_prefix(scope: str) -> str:
    """The code prefix a division covers (330000 → 33, 330100 → 3301, 330102 → 330102)."""
    scope = scope.strip()
    if len(scope) == 6:
        if scope.endswith("0000"):
            return scope[:2]
        if scope.endswith("00"):
            return scope[:4]
    return scope


def in_scope_expr(column: str, scopes: list[str] | None) -> pl.Expr:
    """Columnar scope test: the division column starts with one of the scopes' prefixes."""
    if scopes is None:
        return pl.lit(True)
    if not scopes:
        return pl.lit(False)
    expr = pl.lit(False)
    for s in scopes:
        expr = expr | pl.col(column).str.starts_with(scope_prefix(s))
    return expr.fill_null(False)


def read_table(path: Path) -> pl.DataFrame:
    """Read an uploaded CSV/XLSX/JSON file as all-text columns (``padis.fileio``)."""
    return fileio.read_table(path).frame


def write_xlsx(frame: pl.DataFrame, path: Path, sheet: str = "result") -> Path:
    """Write ``frame`` as an XLSX sheet (openpyxl write-only; all values as text or numbers)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.append(frame.columns)
    for row in frame.cast({c: pl.String for c in frame.columns if frame.schema[c] == pl.Date}).iter_rows():
        ws.append(list(row))
    wb.save(path)
    return path


PERSON_SCHEMA = {
    "person_id": pl.Int64,
    "id_number": pl.String,
    "name": pl.String,
    "sex": pl.String,
    "birth_date": pl.Date,
    "status": pl.String,
    "registered_division": pl.String,
    "residence_division": pl.String,
    "death_date": pl.Date,
}


def read_persons(
    conn: Connection, columns: tuple[str, ...], *, where: str = "", params: dict[str, Any] | None = None
) -> pl.DataFrame:
    """The register's person table (selected columns, optional ``where``) in bulk as a Polars frame."""
    cols = ", ".join(columns)
    schema = {c: PERSON_SCHEMA.get(c, pl.String) for c in columns}
    # A full read of a SQLite register goes through ADBC in a child process: ~10x faster than sqlite3's
    # row tuples, and a second SQLite library inside *this* process would break the POSIX locks of the
    # first on the same WAL database (seen as a bus error).
    if conn.dialect.name == "sqlite" and not where and conn.engine.url.database not in (None, "", ":memory:"):
        frame = _adbc_child_read(str(conn.engine.url.database), f"SELECT {cols} FROM person")
        if frame is not None:
            return _cast_person(frame, schema)
    from padis.store.bulk import read_polars

    sql = f"SELECT {cols} FROM person" + (f" WHERE {where}" if where else "")
    return _cast_person(read_polars(conn, sql, params), schema)


_ADBC_CHILD = """
import sys
import adbc_driver_sqlite.dbapi as adbc
import pyarrow.feather as feather
with adbc.connect(sys.argv[1]) as conn, conn.cursor() as cur:
    cur.execute(sys.argv[2])
    feather.write_feather(cur.fetch_arrow_table(), sys.argv[3], compression="uncompressed")
"""


def _adbc_child_read(db_path: str, sql: str) -> pl.DataFrame | None:
    """Run ``sql`` on a SQLite file with ADBC in a child process; None when that is not possible."""
    import subprocess
    import sys
    import tempfile

    with tempfile.TemporaryDirectory(prefix="padis-read-") as tmp:
        out = Path(tmp) / "rows.arrow"
        done = subprocess.run(
            [sys.executable, "-c", _ADBC_CHILD, db_path, sql, str(out)],
            capture_output=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0 or not out.exists():
            return None
        return pl.read_ipc(out).rechunk()


def _cast_person(frame: pl.DataFrame, schema: dict[str, Any]) -> pl.DataFrame:
    exprs = []
    for c, t in schema.items():
        if t == pl.Date and frame.schema[c] != pl.Date:
            exprs.append(pl.col(c).cast(pl.String).str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False))
        else:
            exprs.append(pl.col(c).cast(t, strict=False))
    return frame.select(exprs)


def now_iso() -> str:
    """Current UTC time as ISO text (what every exchange/security table stores)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def read_feed(conn: Connection, after: int, limit: int) -> list[dict[str, Any]]:
    """Change-feed events with ``seq > after`` in seq order, as dicts (the register's ``read_feed``)."""
    return [dataclasses.asdict(e) for e in feed.read_feed(conn, after_seq=after, limit=limit)]


def person_table_exists(engine: Engine) -> bool:
    """Whether the register's tables are in this database."""
    from sqlalchemy import inspect

    return inspect(engine).has_table("person")
