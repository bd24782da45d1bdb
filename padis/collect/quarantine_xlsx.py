"""Quarantine in Excel: export bad rows to a workbook, correct them there, import the corrections.

The workbook has one sheet per batch: ``隔离编号`` (the quarantined row's id), ``问题`` (its reasons in
Chinese), then the file's own columns with their current values (the original values with any earlier
fixes applied). Every cell is text (number format ``@``) so Excel keeps identity numbers and leading zeros.
Importing compares each cell with the current value and records only changed cells as fixes (the same
as ``padis quarantine fix``); the rows are then ready for ``padis quarantine resubmit``.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from sqlalchemy import Engine, text

from padis.collect.quarantine import current_values, list_quarantine, within
from padis.errors import InputError
from padis.standards.idnumber import ERRORS as ID_ERRORS

ID_HEADER = "隔离编号"
REASON_HEADER = "问题"
SHEET_PREFIX = "批次"
GUIDE_SHEET = "说明"
MAX_EXPORT_ROWS = 100_000

# What a validation problem means, for staff reading the workbook.
PROBLEMS: dict[str, str] = {
    "not_in_code_table": "不在代码表中",
    "unparseable": "日期无法识别",
    "in_future": "日期晚于今天",
    "bad_format": "格式错误",
    "unknown_division": "行政区划代码不存在",
    "not_integer": "不是整数",
    "not_decimal": "不是数值",
    "not_boolean": "不是是/否",
    "too_long": "超过最大长度",
    "disagrees_with_id": "与身份证号不一致",
    "before_birth": "早于出生日期",
    "duplicate_in_file": "文件中记录编号重复",
    "out_of_scope": "不在报送单位授权的行政区划范围内",
    **ID_ERRORS,  # an identity number's problems
}
GUIDE = (
    "隔离数据修正说明 (padis quarantine export)",
    "",
    "1. 每个“批次”工作表是一个采集批次中未通过校验的行；“问题”列说明原因。",
    "2. 直接在原始列中修改错误的值；不要修改“隔离编号”列，不要增删列。",
    "3. 单元格均为文本格式：身份证号、代码的前导零会保留。",
    "4. 保存后运行 padis quarantine import 本文件，再运行 padis quarantine resubmit。",
    "5. 只有改动过的单元格会被记录为修正；未改动的行保持原状。",
)


def _labels() -> dict[str, str]:
    from padis.standards.dictionary import get_dictionary

    labels: dict[str, str] = {"division": "行政区划"}
    for record in get_dictionary().records.values():
        for f in record.fields:
            labels.setdefault(f.name, f.label)
    return labels


def explain(reasons: str, labels: dict[str, str] | None = None) -> str:
    """Reasons in Chinese: ``id_number:bad_checksum`` -> ``公民身份号码：校验码错误`` (unknown codes kept)."""
    labels = labels if labels is not None else _labels()
    out = []
    for reason in filter(None, reasons.split(";")):
        left, _, right = reason.partition(":")
        if left == "required":
            out.append(f"必填项为空：{labels.get(right, right)}")
        else:
            problem = right.split("(")[0]
            out.append(f"{labels.get(left, left)}：{PROBLEMS.get(problem, right)}")
    return "；".join(out)


def _current(row: dict[str, Any]) -> dict[str, str | None]:
    """A quarantined row's values now, as the text a cell shows."""
    values = current_values(row["raw"], row["fixes"])
    return {k: None if v is None else str(v) for k, v in values.items()}


def export_workbook(
    engine: Engine,
    path: Path,
    *,
    batch_id: int | None = None,
    reason: str | None = None,
    status: str | None = "open",
    scope: str | None = None,
) -> dict[str, int]:
    """Write the selected quarantined rows to ``path`` (one sheet per batch); returns rows per batch.

    ``scope``: only rows with a division in it (see :func:`padis.collect.quarantine.within`).
    """
    rows = list_quarantine(engine, batch_id=batch_id, reason=reason, status=status, limit=MAX_EXPORT_ROWS + 1)
    if scope is not None:
        rows = within(engine, rows, scope)
    if not rows:
        raise InputError("no quarantined rows to export", where="quarantine", why="check --batch / --status")
    if len(rows) > MAX_EXPORT_ROWS:
        raise InputError(
            f"more than {MAX_EXPORT_ROWS:,} rows selected",
            where="quarantine",
            why="narrow the export with --batch and --reason (one workbook per batch and reason)",
        )
    by_batch: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        by_batch.setdefault(int(r["batch_id"]), []).append(r)
    labels = _labels()
    book = Workbook()
    guide = book.active
    guide.title = GUIDE_SHEET
    for line in GUIDE:
        guide.append([line])
    guide["A1"].font = Font(bold=True)
    guide.column_dimensions["A"].width = 90
    for batch, items in sorted(by_batch.items()):
        _write_sheet(book, batch, items, labels)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return {str(b): len(items) for b, items in sorted(by_batch.items())}


def export_batch_workbook(engine: Engine, batch_id: int, scope: str | None = None) -> tuple[Path, int]:
    """One batch's open quarantined rows (in ``scope``) as a workbook in a new temporary folder; (path, rows).

    The caller removes ``path.parent`` when done (after sending it, say).
    """
    work = Path(tempfile.mkdtemp(prefix="padis-quarantine-"))
    path = work / f"quarantine-{batch_id}.xlsx"
    try:
        counts = export_workbook(engine, path, batch_id=batch_id, scope=scope)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return path, sum(counts.values())


def _write_sheet(book: Workbook, batch: int, items: list[dict[str, Any]], labels: dict[str, str]) -> None:
    sheet = book.create_sheet(f"{SHEET_PREFIX}{batch}")
    values = [_current(r) for r in items]
    columns: list[str] = []
    for v in values:
        columns.extend(c for c in v if c not in columns)
    sheet.append([ID_HEADER, REASON_HEADER, *columns])
    for r, v in zip(items, values, strict=True):
        sheet.append([str(r["quarantine_id"]), explain(r["reasons"], labels), *(v.get(c) for c in columns)])
    header = PatternFill("solid", fgColor="DDEBF7")
    for cell in sheet[1]:
        cell.font, cell.fill = Font(bold=True), header
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.number_format = "@"
        row[1].alignment = Alignment(wrap_text=True)
        row[1].fill = PatternFill("solid", fgColor="FCE4D6")
    sheet.column_dimensions["B"].width = 40
    sheet.freeze_panes = "C2"


@dataclass
class ImportResult:
    """What an imported workbook changed."""

    rows_read: int = 0
    rows_fixed: int = 0
    cells_changed: int = 0
    unchanged: int = 0
    by_batch: dict[str, int] = field(default_factory=dict)


# Excel keeps 15 significant digits: a longer number typed into a cell no longer formatted as text
# (an 18-digit identity number) has already lost its last digits.
EXACT_DIGITS = 15


def _cell_text(value: Any, where: str = "") -> str | None:
    """A cell as the text the file would have held (Excel may have turned typed values into numbers)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float) and abs(value) >= 10**EXACT_DIGITS:
        raise InputError(
            "a long number lost digits in Excel",
            where=where,
            why="format the cell as text and type the value again",
        )
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    text_ = str(value).strip()
    return text_ or None


def import_workbook(engine: Engine, path: Path, scope: str | None = None) -> ImportResult:
    """Record the cells changed in an exported workbook as fixes (one transaction for the whole file).

    ``scope``: every row must lie in it (a county steward corrects only their divisions' rows).
    """
    if not path.is_file():
        raise InputError("file not found", where=str(path))
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is one clear input error
        raise InputError("not a readable XLSX workbook", where=str(path), why=type(exc).__name__) from exc
    result = ImportResult()
    updates: list[dict[str, Any]] = []
    try:
        sheets = [s for s in book.worksheets if s.title.startswith(SHEET_PREFIX)]
        if not sheets:
            raise InputError("no batch sheets", where=str(path), why="export with padis quarantine export")
        for sheet in sheets:
            updates += _sheet_fixes(engine, sheet, f"{path.name}:{sheet.title}", result, scope)
    finally:
        book.close()
    if updates:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE quarantine SET fixes = :f, status = 'fixed', updated_at = CURRENT_TIMESTAMP "
                    "WHERE quarantine_id = :q AND status <> 'resubmitted'"
                ),
                updates,
            )
    return result


def _sheet_fixes(
    engine: Engine, sheet: Any, where: str, result: ImportResult, scope: str | None = None
) -> list[dict[str, Any]]:
    """The fixes of one batch sheet (``fixes`` JSON per changed row), counted into ``result``."""
    rows = sheet.iter_rows(values_only=True)
    header = [None if h is None else str(h).strip() for h in next(rows, [])]
    if header[:2] != [ID_HEADER, REASON_HEADER]:
        raise InputError(
            "not an exported quarantine sheet",
            where=where,
            why=f"first columns must be {ID_HEADER}, {REASON_HEADER}",
        )
    columns = header[2:]
    if any(c is None for c in columns) or len(set(columns)) < len(columns):
        raise InputError(
            "blank or repeated column headers", where=where, why="do not add, remove or rename columns"
        )
    cells = [list(r) for r in rows if any(v not in (None, "") for v in r)]
    ids = [_quarantine_id(r[0], where, n) for n, r in enumerate(cells, start=2)]
    current = _rows_by_id(engine, ids, where)
    if scope is not None:
        inside = {int(r["quarantine_id"]) for r in within(engine, list(current.values()), scope)}
        outside = [n for n, qid in enumerate(ids, start=2) if qid not in inside]
        if outside:
            raise InputError(
                "row outside your divisions", where=f"{where} row {outside[0]}", why=f"scope {scope}"
            )
    updates = []
    for n, (qid, cells_) in enumerate(zip(ids, cells, strict=True), start=2):
        row = current[qid]
        if row["status"] == "resubmitted":
            raise InputError("row already re-submitted", where=f"{where} row {n}", why=f"{ID_HEADER} {qid}")
        before = _current(row)
        unknown = [c for c in columns if c not in before]
        if unknown:
            raise InputError(
                f"unknown column {unknown[0]!r}",
                where=f"{where} row {n}",
                why=f"batch columns: {', '.join(before)}",
            )
        changed = {
            c: value
            for c, value in zip(
                columns, (_cell_text(v, f"{where} row {n}") for v in cells_[2:]), strict=False
            )
            if value != before.get(c)
        }
        result.rows_read += 1
        if not changed:
            result.unchanged += 1
            continue
        fixes = json.loads(row["fixes"]) if row["fixes"] else {}
        fixes.update(changed)
        updates.append({"q": qid, "f": json.dumps(fixes, ensure_ascii=False)})
        result.rows_fixed += 1
        result.cells_changed += len(changed)
        batch = str(row["batch_id"])
        result.by_batch[batch] = result.by_batch.get(batch, 0) + 1
    return updates


def _quarantine_id(value: Any, where: str, row: int) -> int:
    text_ = _cell_text(value)
    if text_ is None or not text_.isdigit():
        raise InputError(
            f"bad {ID_HEADER} {text_!r}", where=f"{where} row {row}", why="do not edit that column"
        )
    return int(text_)


def _rows_by_id(engine: Engine, ids: list[int], where: str) -> dict[int, dict[str, Any]]:
    """The quarantined rows with these ids (InputError naming the first missing one)."""
    found: dict[int, dict[str, Any]] = {}
    with engine.connect() as conn:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = conn.execute(
                text(
                    "SELECT quarantine_id, batch_id, raw, fixes, status FROM quarantine "
                    f"WHERE quarantine_id IN ({', '.join(str(i) for i in chunk)})"
                )
            ).mappings()
            found.update({int(r["quarantine_id"]): dict(r) for r in rows})
    missing = [i for i in ids if i not in found]
    if missing:
        raise InputError(
            f"no quarantined row {missing[0]}", where=where, why=f"{ID_HEADER} not in this database"
        )
    return found
