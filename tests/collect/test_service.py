"""Collection end to end on SQLite and PostgreSQL: counts, quarantine, idempotence, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from sqlalchemy import Engine, text

from padis.collect.service import collect_file
from padis.errors import InputError, PadisError


def _counts(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
            for t in ("batch", "source_record", "quarantine")
        )


def test_every_row_is_stored_or_quarantined(engine: Engine, extract: tuple[Path, Path]) -> None:
    path, _ = extract
    report = collect_file(engine, path, "public_security")
    assert report.rows_read == 400
    assert report.rows_stored + report.rows_quarantined == report.rows_read
    assert report.rows_quarantined > 0
    assert sum(report.by_reason.values()) >= report.rows_quarantined
    batches, stored, quarantined = _counts(engine)
    assert (batches, stored, quarantined) == (1, report.rows_stored, report.rows_quarantined)
    with engine.connect() as conn:
        reasons, raw = conn.execute(text("SELECT reasons, raw FROM quarantine ORDER BY row_number")).first()
        provenance = conn.execute(
            text("SELECT agency, file_hash, row_number, received_at FROM source_record ORDER BY row_number")
        ).first()
    assert reasons.split(";")[0].split(":")[1] in {"bad_checksum", "unparseable"} or "required" in reasons
    assert {"GMSFHM", "XM", "CSRQ"} <= set(json.loads(raw))  # original values kept
    assert provenance[0] == "public_security" and len(provenance[1]) == 64 and provenance[2] >= 1
    assert provenance[3] is not None


def test_same_file_again_changes_nothing(engine: Engine, extract: tuple[Path, Path]) -> None:
    path, _ = extract
    first = collect_file(engine, path, "public_security")
    before = _counts(engine)
    again = collect_file(engine, path, "public_security")
    assert again.already_loaded and again.batch_id == first.batch_id
    assert _counts(engine) == before


def test_gb18030_csv_with_local_codes(engine: Engine, extract: tuple[Path, Path], tmp_path: Path) -> None:
    path, mapping = extract
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(path.read_text(encoding="utf-8").encode("gb18030"))
    report = collect_file(engine, gbk, "public_security", mapping_path=mapping)
    assert report.rows_read == 400 and report.rows_stored > 350
    with engine.connect() as conn:
        names = [r[0] for r in conn.execute(text("SELECT name FROM source_record LIMIT 5"))]
        sexes = {r[0] for r in conn.execute(text("SELECT DISTINCT sex FROM source_record"))}
    assert all(len(n) >= 2 and n[0] in "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗" for n in names)
    assert sexes <= {"0", "1", "2"}  # 男/女 mapped by the mapping; 未知 is the table alias of 0


def test_xlsx_with_identity_numbers_typed_as_numbers_says_why(
    engine: Engine, extract: tuple[Path, Path], tmp_path: Path
) -> None:
    """Excel rounds an 18-digit number to 15 digits: the rows are quarantined and the report says why."""
    path, mapping = extract
    frame = pl.read_csv(path, infer_schema=False).head(5)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(frame.columns)
    for row in frame.iter_rows(named=True):
        sheet.append([int(v) if k == "GMSFHM" and v.isdigit() else v for k, v in row.items()])
    xlsx = tmp_path / "typed.xlsx"
    book.save(xlsx)
    report = collect_file(engine, xlsx, "public_security", mapping_path=mapping)
    assert report.rows_read == 5 and report.rows_quarantined >= 4
    numeric = sum(1 for v in frame["GMSFHM"] if v.isdigit())
    assert report.notes == [
        f"{numeric} 个单元格是16位以上的数字，Excel 只保留了15位有效数字（把该列设为文本后重新输入） / "
        f"{numeric} cells hold numbers of 16+ digits: Excel kept only 15 significant digits"
    ]


def _merged_xlsx(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["GMSFHM", "XM", None])
    sheet.append(["110101199001011237", "王伟", "x"])
    sheet.merge_cells("B1:C1")
    book.save(path)
    return path


@pytest.mark.parametrize(
    "case", ["unknown_agency", "missing_column", "truncated", "encoding", "empty", "merged"]
)
def test_bad_input_is_a_clear_error_and_stores_nothing(
    engine: Engine, extract: tuple[Path, Path], tmp_path: Path, case: str
) -> None:
    path, mapping = extract
    agency = "public_security"
    target = tmp_path / f"{case}.csv"
    text_ = path.read_text(encoding="utf-8")
    if case == "unknown_agency":
        target, agency = path, "police"
    elif case == "missing_column":
        pl.read_csv(path, infer_schema=False).drop("CSRQ").write_csv(target)
    elif case == "truncated":
        target.write_text(text_[: len(text_) - 25], encoding="utf-8")
    elif case == "encoding":
        target.write_bytes(text_.encode("utf-8")[:200] + b"\xff\xfe\x00\x81" + text_.encode("utf-8")[200:])
    elif case == "empty":
        target.write_bytes(b"")
    else:
        target = _merged_xlsx(tmp_path / "merged.xlsx")
    with pytest.raises(PadisError) as err:
        collect_file(engine, target, agency, mapping_path=mapping)
    line = err.value.line()
    assert "\n" not in line and len(line) < 400
    assert _counts(engine) == (0, 0, 0)
    if case != "unknown_agency":
        assert isinstance(err.value, InputError)


def test_concurrent_duplicate_is_recognised(
    engine: Engine, extract: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process committed the same file after our check: the unique key catches it, nothing changes."""
    import padis.collect.service as service

    path, _ = extract
    first = collect_file(engine, path, "public_security", apply=False)
    before = _counts(engine)
    real = service.find_batch
    calls: list[int] = []

    def late_check(*args: object) -> object:
        calls.append(1)
        return None if len(calls) == 1 else real(*args)  # the first check misses the other process's batch

    monkeypatch.setattr(service, "find_batch", late_check)
    again = collect_file(engine, path, "public_security", apply=False)
    assert again.already_loaded and again.batch_id == first.batch_id
    assert _counts(engine) == before
