"""Quarantine through Excel: export bad rows, correct cells in the workbook, import, re-submit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, text

from padis.collect.quarantine import list_quarantine, resubmit
from padis.collect.quarantine_xlsx import ID_HEADER, REASON_HEADER, explain, export_workbook, import_workbook
from padis.collect.service import collect_file
from padis.errors import InputError
from padis.standards.idnumber import check_id


def _valid(body: str) -> str:
    return next(body + c for c in "0123456789X" if check_id(body + c).valid)


def _statuses(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            r[0]: int(r[1])
            for r in conn.execute(text("SELECT status, COUNT(*) FROM quarantine GROUP BY status"))
        }


def test_correct_in_excel_then_resubmit(engine: Engine, extract: tuple[Path, Path], tmp_path: Path) -> None:
    path, _ = extract
    first = collect_file(engine, path, "public_security")
    book_path = tmp_path / "fix.xlsx"
    counts = export_workbook(engine, book_path, batch_id=first.batch_id)
    assert counts == {str(first.batch_id): first.rows_quarantined}

    book = load_workbook(book_path)
    sheet = book[f"批次{first.batch_id}"]
    header = [c.value for c in sheet[1]]
    assert header[:2] == [ID_HEADER, REASON_HEADER] and "GMSFHM" in header
    id_col = header.index("GMSFHM")
    bad = {r["quarantine_id"] for r in list_quarantine(engine, reason="id_number:bad_checksum")}
    target = next(row for row in sheet.iter_rows(min_row=2) if int(row[0].value) in bad)
    assert "校验码错误" in target[1].value  # the reason, in Chinese
    assert target[id_col].number_format == "@"  # text cells: Excel keeps the 18 digits
    fixed = _valid(target[id_col].value[:17])
    # An 18-digit number typed into a cell that is no longer text keeps only 15 digits in Excel: refused.
    target[id_col].value = int(fixed[:17] + "0")
    book.save(book_path)
    with pytest.raises(InputError, match="lost digits"):
        import_workbook(engine, book_path)
    target[id_col].value = fixed
    book.save(book_path)

    result = import_workbook(engine, book_path)
    assert (result.rows_read, result.rows_fixed, result.cells_changed) == (first.rows_quarantined, 1, 1)
    assert result.unchanged == first.rows_quarantined - 1
    qid = int(target[0].value)
    with engine.connect() as conn:
        fixes = conn.execute(
            text("SELECT fixes FROM quarantine WHERE quarantine_id = :q"), {"q": qid}
        ).scalar_one()
    assert json.loads(fixes) == {"GMSFHM": fixed}
    assert _statuses(engine)["fixed"] == 1

    assert import_workbook(engine, book_path).rows_fixed == 0  # the same workbook again: nothing new
    reports = resubmit(engine)
    assert [(r.rows_read, r.rows_stored) for r in reports] == [(1, 1)]
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT id_number FROM source_record WHERE batch_id = :b"), {"b": reports[0].batch_id}
        ).scalar_one()
    assert stored == fixed


def test_bad_workbooks_are_clear_errors_and_change_nothing(
    engine: Engine, extract: tuple[Path, Path], tmp_path: Path
) -> None:
    path, _ = extract
    first = collect_file(engine, path, "public_security")
    book_path = tmp_path / "fix.xlsx"
    export_workbook(engine, book_path, batch_id=first.batch_id)
    before = _statuses(engine)

    def broken(edit: str) -> Path:
        book = load_workbook(book_path)
        sheet = book[f"批次{first.batch_id}"]
        if edit == "id":
            sheet.cell(row=2, column=1).value = "999999999"
        elif edit == "column":
            sheet.cell(row=1, column=3).value = "NO_SUCH_COLUMN"
        elif edit == "header":
            sheet.cell(row=1, column=1).value = "编号"
        sheet.cell(row=3, column=4).value = "changed"  # a real edit elsewhere must not land either
        out = tmp_path / f"{edit}.xlsx"
        book.save(out)
        return out

    for edit in ("id", "column", "header"):
        with pytest.raises(InputError) as err:
            import_workbook(engine, broken(edit))
        assert "\n" not in err.value.line()
    not_xlsx = tmp_path / "not.xlsx"
    not_xlsx.write_text("GMSFHM\n1\n", encoding="utf-8")
    with pytest.raises(InputError):
        import_workbook(engine, not_xlsx)
    assert _statuses(engine) == before


def test_reasons_read_in_chinese() -> None:
    text_ = explain("id_number:bad_checksum;required:name;sex:not_in_code_table(GB/T 2261.1);odd:thing")
    assert (
        "校验码错误" in text_ and "必填项为空" in text_ and "不在代码表中" in text_ and "odd：thing" in text_
    )
