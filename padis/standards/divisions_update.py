"""Load a newer official division list over the installed history (``padis standards divisions update``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from padis.errors import InputError
from padis.standards.divisions import DivisionRegistry, get_divisions
from padis.standards.divisions_store import load_overlay, save_overlay

FIRST_YEAR = 1980
CODE_HEADERS = ("code", "区划代码", "行政区划代码", "代码", "adcode")
NAME_HEADERS = ("name", "单位名称", "行政区划名称", "名称", "区划名称")
# "110000 北京市", "110000<TAB>北京市", "110000,北京市" — the MCA page copied as text, or a bare CSV.
_CODE = re.compile(r"^\d{6}$")
_LINE = re.compile(r"^\s*\"?(?P<code>\d{6})\"?\s*[,\t ]\s*\"?(?P<name>[^\",\t]+?)\"?\s*(?:[,\t].*)?$")


@dataclass
class UpdateSummary:
    """What loading a list changed."""

    path: str
    year: int
    complete: bool
    listed: int
    skipped_lines: int
    added: dict[str, str] = field(default_factory=dict)
    renamed: dict[str, tuple[str, str]] = field(default_factory=dict)
    ended: dict[str, str] = field(default_factory=dict)
    successors: dict[str, list[str]] = field(default_factory=dict)
    saved: bool = False

    @property
    def changed(self) -> bool:
        """Whether the list differed from what was installed."""
        return bool(self.added or self.renamed or self.ended)


def _decode(raw: bytes, path: Path) -> str:
    if not raw.strip():
        raise InputError("the division list is empty", where=str(path))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError("the division list is neither UTF-8 nor GB18030 text", where=str(path))


def _clean(name: str) -> str:
    return name.replace("\u3000", " ").strip()


def _add(entries: dict[str, str], code: str, name: str, where: str) -> None:
    code = code.strip()
    if not _CODE.match(code):
        raise InputError(f"not a six-digit division code: {code[:20]!r}", where=where)
    name = _clean(name)
    if not name:
        raise InputError(f"code {code} has no name", where=where)
    if entries.get(code, name) != name:
        raise InputError(f"code {code} is listed twice with different names", where=where,
                         why=f"{entries[code]} / {name}")
    entries[code] = name


def _from_json(text: str, path: Path) -> dict[str, str]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError("the division list is not valid JSON", where=f"{path}:{exc.lineno}",
                         why=exc.msg) from exc
    entries: dict[str, str] = {}
    if isinstance(data, dict):
        for code, name in data.items():
            if not isinstance(name, str):
                raise InputError(f"the name of {code} is not text", where=str(path),
                                 why="expected a JSON object code → name")
            _add(entries, code, name, str(path))
    elif isinstance(data, list) and all(isinstance(row, dict) for row in data):
        for number, row in enumerate(data, start=1):
            code = next((row[k] for k in CODE_HEADERS if k in row), None)
            name = next((row[k] for k in NAME_HEADERS if k in row), None)
            if code is None or name is None:
                raise InputError("a JSON row has no code or name", where=f"{path}[{number}]")
            _add(entries, str(code), str(name), f"{path}[{number}]")
    else:
        raise InputError("the JSON list has an unknown layout", where=str(path),
                         why="expected an object code → name or a list of {code, name}")
    return entries


def _from_read_table(path: Path, raw: bytes) -> dict[str, str] | None:
    """Codes → names from a CSV/TSV/XLSX/Parquet file with code and name columns (None if it has none)."""
    try:
        from padis.fileio import read_table
    except ImportError:  # the shared reader is not installed: text lists still load through the line parser
        return None
    binary = raw.startswith((b"PAR1", b"PK\x03\x04"))
    try:
        result = read_table(path)
    except InputError:
        if binary:
            raise
        return None  # e.g. MCA text whose lines the CSV reader finds ragged: read it line by line
    columns = {c.strip().lower(): c for c in result.frame.columns if c != "_row"}
    code_col = next((columns[h] for h in CODE_HEADERS if h in columns), None)
    name_col = next((columns[h] for h in NAME_HEADERS if h in columns), None)
    if code_col is None or name_col is None:
        if binary:
            raise InputError("the division table has no code and name columns", where=str(path),
                             why=f"name them e.g. code,name or 区划代码,单位名称; found {', '.join(columns)}")
        return None
    frame = result.frame.select(
        pl.col(code_col).str.strip_chars().alias("code"),
        pl.col(name_col).str.replace_all("\u3000", " ").str.strip_chars().alias("name"),
        pl.col("_row"),
    ).filter(pl.col("code").is_not_null() | pl.col("name").is_not_null())
    bad = frame.filter(~pl.col("code").str.contains(r"^\d{6}$").fill_null(False) | pl.col("name").is_null())
    if bad.height:
        row = bad.row(0, named=True)
        raise InputError(f"row {row['_row']} has no six-digit code and name", where=str(path),
                         why=f"{bad.height} such rows; e.g. code {str(row['code'])[:20]!r}")
    clashes = frame.unique(["code", "name"]).filter(pl.col("code").is_duplicated())
    if clashes.height:
        code = clashes["code"][0]
        names = " / ".join(clashes.filter(pl.col("code") == code)["name"].to_list())
        raise InputError(f"code {code} is listed twice with different names", where=str(path), why=names)
    return dict(frame.select("code", "name").unique("code").iter_rows())


def _from_lines(text: str, path: Path) -> tuple[dict[str, str], int]:
    entries: dict[str, str] = {}
    skipped = 0
    for number, line in enumerate(text.splitlines(), start=1):
        match = _LINE.match(line.replace("\u3000", " "))
        if match is None:
            skipped += bool(line.strip())
            continue
        _add(entries, match["code"], match["name"], f"{path}:{number}")
    return entries, skipped


def read_division_list(path: Path | str) -> tuple[dict[str, str], int]:
    """Codes → names from an official list (MCA text lines, CSV/XLSX code,name, or JSON) and lines skipped."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError("cannot read the division list", where=str(path),
                         why=exc.strerror or str(exc)) from exc
    if not raw.strip():
        raise InputError("the division list is empty", where=str(path))
    if raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        entries, skipped = _from_json(_decode(raw, path), path), 0
    else:
        table = _from_read_table(path, raw)
        entries, skipped = (table, 0) if table is not None else _from_lines(_decode(raw, path), path)
    if not entries:
        raise InputError("no division codes found in the list", where=str(path),
                         why="expected lines like '110000 北京市', a CSV with code,name or a JSON object")
    return entries, skipped


def plan_update(
    registry: DivisionRegistry, entries: dict[str, str], year: int, *, complete: bool = True
) -> dict[str, Any]:
    """The overlay entry that brings the registry to the list: added, renamed and ended codes.

    A complete list speaks for the provinces it contains: codes of those provinces still in use but not
    listed end in ``year - 1``; provinces it does not mention are left as they are.
    """
    added: dict[str, str] = {}
    renamed: dict[str, str] = {}
    for code, name in sorted(entries.items()):
        division = registry.get(code)
        if division is None or not division.is_current:
            added[code] = name
        elif division.name != name:
            renamed[code] = name
    ended: list[str] = []
    if complete:
        provinces = {code[:2] for code in entries}
        ended = sorted(d.code for d in registry if d.is_current and d.code[:2] in provinces
                       and d.code not in entries)
    return {"year": year, "complete": complete, "added": added, "renamed": renamed, "ended": ended}


def update_from_file(path: Path | str, *, year: int | None = None, complete: bool = True,
                     dry_run: bool = False) -> UpdateSummary:
    """Load a newer list, save it to this node's overlay and return what changed."""
    this_year = dt.date.today().year
    year = this_year if year is None else year
    if not FIRST_YEAR <= year <= this_year + 1:
        raise InputError(f"year {year} is out of range", where="--year",
                         why=f"GB/T 2260 lists run from {FIRST_YEAR} to {this_year + 1}")
    updates = load_overlay()
    last = max((int(u["year"]) for u in updates), default=None)
    if last is not None and year < last:
        raise InputError(f"a list valid from {last} is already loaded", where="--year",
                         why=f"load lists in order; {year} is older")
    entries, skipped = read_division_list(path)
    registry = get_divisions()
    before = {code: registry.get(code) for code in entries}
    plan = plan_update(registry, entries, year, complete=complete)
    raw = Path(path).read_bytes()
    summary = UpdateSummary(
        path=str(path), year=year, complete=complete, listed=len(entries), skipped_lines=skipped,
        added=dict(plan["added"]),
        renamed={c: (before[c].name if before[c] else "", n) for c, n in plan["renamed"].items()},
        ended={c: registry.get(c).name for c in plan["ended"]},  # type: ignore[union-attr]
    )
    if dry_run or not summary.changed:
        return summary
    plan.update(source=Path(path).name, sha256=hashlib.sha256(raw).hexdigest(),
                loaded_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    save_overlay([*updates, plan])
    summary.saved = True
    get_divisions.cache_clear()
    fresh = get_divisions()
    summary.successors = {code: fresh.current(code) for code in summary.ended}
    return summary
