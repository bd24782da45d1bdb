"""What exchange needs from other packages (dictionary, divisions, files, register), with small fallbacks.

Each function prefers the owning package's public function; the fallback below it only runs while that
package is not there yet, and follows docs/contracts.md.
"""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, text

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
_FALLBACK_FIELDS: dict[str, tuple[str, str, str]] = {
    # field: (label, sensitivity, authoritative agency)
    "id_number": ("公民身份号码", "secret", "public_security"),
    "name": ("姓名", "sensitive", "public_security"),
    "sex": ("性别", "internal", "public_security"),
    "birth_date": ("出生日期", "sensitive", "public_security"),
    "ethnicity": ("民族", "internal", "public_security"),
    "education": ("学历", "internal", "education"),
    "marital_status": ("婚姻状况", "internal", "civil_affairs"),
    "hukou_type": ("户口性质", "internal", "public_security"),
    "registered_division": ("户籍地", "internal", "public_security"),
    "residence_division": ("现住地", "internal", "public_security"),
    "death_date": ("死亡日期", "internal", "civil_affairs"),
    "status": ("人员状态", "internal", "public_security"),
}


@dataclass(frozen=True)
class FieldInfo:
    """One person field as exchange sees it: label, sensitivity, authoritative agency."""

    name: str
    label: str
    sensitivity: str
    authority: str


def _optional(module: str) -> Any | None:
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


@lru_cache(maxsize=1)
def person_fields() -> dict[str, FieldInfo]:
    """The person fields exchange serves, from the data dictionary (fallback: a built-in table)."""
    mod = _optional("padis.standards.dictionary")
    out: dict[str, FieldInfo] = {}
    if mod is not None and hasattr(mod, "get_dictionary"):
        dictionary = mod.get_dictionary()
        record = dictionary.records.get("person")
        if record is not None:
            for f in record.fields:
                if f.name not in PERSON_FIELDS:
                    continue
                try:
                    authority = dictionary.authority(f.name) or f.authority or ""
                except Exception:  # noqa: BLE001 - a field without an authority in a half-built dictionary
                    authority = f.authority or ""
                out[f.name] = FieldInfo(f.name, f.label, f.sensitivity or "internal", authority)
    for name, (label, sens, auth) in _FALLBACK_FIELDS.items():
        out.setdefault(name, FieldInfo(name, label, sens, auth))
    return {name: out[name] for name in PERSON_FIELDS if name in out}


def authority(field: str) -> str:
    """The agency authoritative for ``field`` ("one data, one source")."""
    info = person_fields().get(field)
    return info.authority if info else ""


def level(name: str | None) -> int:
    """Rank of a sensitivity or clearance level (unknown → most restrictive)."""
    return LEVELS.index(name) if name in LEVELS else len(LEVELS) - 1


def _fallback_mask(field: str, value: str) -> str:
    if field == "id_number":
        from padis.standards.idnumber import mask_id

        return mask_id(value)
    if field == "name":
        return value[:1] + "*" * max(len(value) - 1, 1)
    if field in ("birth_date", "death_date"):
        return value[:4] + "-**-**"
    return "***"


def mask_value(field: str, value: Any, clearance: str) -> Any:
    """``value`` as a user of ``clearance`` may see it (dictionary rule; fallback keeps shape, e.g. 张*)."""
    if value is None:
        return None
    mod = _optional("padis.standards.dictionary")
    if mod is not None and hasattr(mod, "get_dictionary"):
        dictionary = mod.get_dictionary()
        if hasattr(dictionary, "mask_value"):
            return dictionary.mask_value(field, value, clearance)
    info = person_fields().get(field)
    if info is None or level(clearance) >= level(info.sensitivity):
        return value
    return _fallback_mask(field, str(value))


def mask_columns(frame: pl.DataFrame, fields: list[str], clearance: str) -> pl.DataFrame:
    """Mask the person-field columns of ``frame`` for ``clearance`` (columnar via the dictionary)."""
    mod = _optional("padis.standards.dictionary")
    if mod is not None and hasattr(mod, "mask_frame"):
        masked = mod.mask_frame("person", frame.select(fields), clearance)
        return frame.with_columns(masked)
    return frame.with_columns(
        [
            pl.col(f).map_elements(lambda v, f=f: mask_value(f, v, clearance), return_dtype=pl.String)
            for f in fields
        ]
    )


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
    """Read an uploaded CSV/XLSX/JSON file as all-text columns (padis.fileio; fallback by suffix)."""
    from padis.errors import InputError

    mod = _optional("padis.fileio")
    if mod is not None and hasattr(mod, "read_table"):
        return mod.read_table(path).frame
    suffix = path.suffix.lower()
    if not path.exists() or path.stat().st_size == 0:
        raise InputError("file is missing or empty", where=str(path.name), why="nothing to read")
    try:
        if suffix in (".xlsx", ".xlsm"):
            frame = _read_xlsx(path)
        elif suffix in (".json", ".jsonl", ".ndjson"):
            raw = path.read_bytes().lstrip()
            frame = pl.read_json(path) if raw[:1] == b"[" else pl.read_ndjson(path)
            frame = frame.cast(pl.String)
        else:
            frame = pl.read_csv(path, infer_schema=False, encoding="utf8")
    except Exception as exc:  # noqa: BLE001 - every parser error is a bad file to the user
        raise InputError("file cannot be read", where=str(path.name), why=type(exc).__name__) from exc
    return frame.with_row_index("_row", offset=1).with_columns(pl.col("_row").cast(pl.Int64))


def _read_xlsx(path: Path) -> pl.DataFrame:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = wb.worksheets[0].iter_rows(values_only=True)
        header = [str(h) if h is not None else f"column_{i + 1}" for i, h in enumerate(next(rows, ()))]
        data = [["" if v is None else str(v) for v in r[: len(header)]] for r in rows]
    finally:
        wb.close()
    return pl.DataFrame(data, schema=dict.fromkeys(header, pl.String), orient="row")


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
    """Change-feed events with ``seq > after`` in seq order (the register's ``read_feed`` when present)."""
    mod = _optional("padis.register.feed")
    if mod is not None and hasattr(mod, "read_feed"):
        import dataclasses

        return [dataclasses.asdict(e) for e in mod.read_feed(conn, after_seq=after, limit=limit)]
    result = conn.execute(
        text(
            "SELECT seq, event_id, event_type, person_id, division, event_date, payload, recorded_at"
            " FROM change_feed WHERE seq > :after ORDER BY seq LIMIT :limit"
        ),
        {"after": after, "limit": limit},
    )
    return [dict(r._mapping) for r in result]


def person_table_exists(engine: Engine) -> bool:
    """Whether the register's tables are in this database."""
    from sqlalchemy import inspect

    return inspect(engine).has_table("person")
