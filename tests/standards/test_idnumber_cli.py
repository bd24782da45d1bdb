"""``padis standards check-ids``: one result row per input row, a summary, one-line errors on bad input."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from padis.cli import app
from padis.standards.idnumber import make_id

runner = CliRunner()
GOOD = make_id("110105", dt.date(1990, 1, 1), 123)
LATE_REGION = make_id("110114", dt.date(1980, 5, 5), 8)
VALUES = [GOOD, "", "12345", GOOD[:17] + ("0" if GOOD[17] != "0" else "1"), "110105900101123", LATE_REGION]


def run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["standards", "check-ids", *args])


def read_result(path: Path) -> pl.DataFrame:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel needs the BOM to read UTF-8
    return pl.read_csv(path, infer_schema=False)


def test_gb18030_csv_gives_one_result_row_per_input_row(tmp_path: Path) -> None:
    source = tmp_path / "人员.csv"
    lines = ["姓名,公民身份号码"] + [f"人{i},{v}" for i, v in enumerate(VALUES)]
    source.write_bytes(("\r\n".join(lines) + "\r\n").encode("gb18030"))
    out = tmp_path / "result.csv"
    result = run(str(source), "--out", str(out), "--today", "2026-06-01")
    assert result.exit_code == 0, result.output
    assert "gb18030" in result.output
    frame = read_result(out)
    assert frame.height == len(VALUES)
    assert {"input", "valid", "error", "warning", "region_code", "birth_date", "sex"} <= set(frame.columns)
    assert frame["row"].to_list() == [str(i) for i in range(1, len(VALUES) + 1)]
    assert frame["input"].fill_null("").to_list() == VALUES
    assert frame["valid"].to_list() == ["true", "false", "false", "false", "true", "true"]
    assert frame["error"].to_list() == [None, "empty", "bad_length", "bad_checksum", None, None]
    assert frame["warning"].to_list()[5] == "region_not_yet_valid"
    first = frame.row(0, named=True)
    assert (first["region_code"], first["birth_date"], first["sex"]) == ("110105", "1990-01-01", "1")
    for text in ("行数", "6", "bad_checksum", "region_not_yet_valid"):
        assert text in result.output


def test_plain_list_to_xlsx(tmp_path: Path) -> None:
    source = tmp_path / "ids.txt"
    source.write_text("\n".join(VALUES) + "\n", encoding="utf-8")
    out = tmp_path / "result.xlsx"
    result = run(str(source), "-o", str(out))
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out, read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == len(VALUES) + 1 and rows[0][:3] == ("row", "input", "valid")
    assert rows[1][1] == GOOD and isinstance(rows[1][1], str)  # stored as text, not a rounded number


def test_xlsx_input_with_default_output(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["XM", "SFZH"])
    for value in VALUES:
        book.active.append(["某人", value or None])
    source = tmp_path / "in.xlsx"
    book.save(source)
    result = run(str(source))
    assert result.exit_code == 0, result.output
    assert read_result(tmp_path / "in.checked.csv").height == len(VALUES)


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        (lambda d: None, ["missing.csv"], "file not found"),
        (lambda d: (d / "empty.csv").write_bytes(b""), ["empty.csv"], "empty file"),
        (lambda d: (d / "h.csv").write_text("a,b\n"), ["h.csv", "-c", "a"], "no data rows"),
        (lambda d: (d / "a.csv").write_text("a,b\n1,2\n"), ["a.csv", "-c", "id"], "column 'id' not found"),
        (lambda d: (d / "b.csv").write_text("a,b\n1,2\n"), ["b.csv"], "which column"),
        (lambda d: (d / "c.bin").write_bytes(b"\x80\xff\x80\xff"), ["c.bin"], "cannot decode"),
        (lambda d: (d / "d.csv").write_text("1\n"), ["d.csv", "--today", "yesterday"], "bad --today"),
    ],
)
def test_unusable_input_is_one_line_and_non_zero(tmp_path: Path, setup, args, message) -> None:  # type: ignore[no-untyped-def]
    setup(tmp_path)
    args = [str(tmp_path / args[0]), *args[1:]]
    result = run(*args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    error_lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1
