"""padis.fileio.read_table: formats, encodings, headers, row numbers, and one-line errors for bad files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from padis.errors import InputError
from padis.fileio import ROW, read_table

ROWS = "id,name,zip\n110105194912310020,张三,010000\n360426199101010071,李四,\n"


def write(tmp_path: Path, name: str, data: bytes | str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode(encoding) if isinstance(data, str) else data)
    return path


def error_of(path: Path, **kwargs: object) -> InputError:
    with pytest.raises(InputError) as info:
        read_table(path, **kwargs)  # type: ignore[arg-type]
    assert "\n" not in info.value.line()
    assert str(path) in info.value.line()
    return info.value


@pytest.mark.parametrize(
    ("encoding", "data", "reported"),
    [
        ("utf-8", ROWS.encode(), "utf-8"),
        ("utf-8 with BOM", b"\xef\xbb\xbf" + ROWS.encode(), "utf-8-sig"),
        ("gb18030", ROWS.encode("gb18030"), "gb18030"),
        ("gbk", ROWS.encode("gbk"), "gb18030"),
        ("utf-16 (Excel unicode text)", ROWS.replace(",", "\t").encode("utf-16"), "utf-16"),
    ],
)
def test_csv_encodings(tmp_path: Path, encoding: str, data: bytes, reported: str) -> None:
    result = read_table(write(tmp_path, "a.csv", data))
    assert result.encoding == reported
    assert result.format in {"csv", "tsv"}
    assert result.frame.columns == [ROW, "id", "name", "zip"]
    assert result.frame.rows() == [
        (1, "110105194912310020", "张三", "010000"),
        (2, "360426199101010071", "李四", None),
    ]
    assert all(result.frame.schema[c] == pl.String for c in result.columns)


def test_tsv_semicolon_and_quoted_newlines(tmp_path: Path) -> None:
    tsv = read_table(write(tmp_path, "a.tsv", "a\tb\n001\t2\n"))
    assert (tsv.format, tsv.frame.rows()) == ("tsv", [(1, "001", "2")])
    semi = read_table(write(tmp_path, "b.csv", "a;b\n1;2\n"))
    assert semi.frame.columns == [ROW, "a", "b"]
    quoted = read_table(write(tmp_path, "c.csv", 'a,b\n1,"line one\nline two"\n2,"say ""hi"""\n'))
    assert quoted.frame["b"].to_list() == ["line one\nline two", 'say "hi"']
    assert quoted.frame[ROW].to_list() == [1, 2]


def test_plain_list_header_is_guessed_and_blank_lines_are_kept(tmp_path: Path) -> None:
    with_header = read_table(write(tmp_path, "a.txt", "身份证号\n110105194912310020\n\n360426199101010071\n"))
    assert (with_header.format, with_header.header) == ("list", True)
    assert with_header.frame.columns == [ROW, "身份证号"]
    assert with_header.frame["身份证号"].to_list() == ["110105194912310020", None, "360426199101010071"]
    assert with_header.frame[ROW].to_list() == [1, 2, 3]

    bare = read_table(write(tmp_path, "b.txt", "110105194912310020\r\n360426199101010071"))
    assert (bare.header, bare.frame.columns) == (False, [ROW, "value"])
    assert bare.frame["value"].to_list() == ["110105194912310020", "360426199101010071"]

    forced = read_table(write(tmp_path, "c.txt", "id\nabc\n"), header=False)
    assert forced.frame["value"].to_list() == ["id", "abc"]
    named = read_table(write(tmp_path, "d.txt", "110105194912310020\n"), column="GMSFHM")
    assert named.frame.columns == [ROW, "GMSFHM"]


def test_jsonl_and_parquet_become_text(tmp_path: Path) -> None:
    jsonl = read_table(
        write(tmp_path, "a.jsonl", '{"id": "01", "n": 7, "tags": [1, 2]}\n{"id": "02", "n": 8}\n')
    )
    assert jsonl.format == "jsonl"
    assert jsonl.frame.rows() == [(1, "01", "7", "[1,2]"), (2, "02", "8", None)]

    path = tmp_path / "a.parquet"
    pl.DataFrame({"id": ["01", None], "n": [1, 2], "d": [dt.date(2020, 1, 2), None]}).write_parquet(path)
    parquet = read_table(path)
    assert (parquet.format, parquet.encoding) == ("parquet", None)
    assert parquet.frame.rows() == [(1, "01", "1", "2020-01-02"), (2, None, "2", None)]


def make_xlsx(path: Path, rows: list[list[object]], merge: str | None = None, title: str = "名单") -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    other = book.create_sheet("other")
    other.append(["code"])
    other.append(["001"])
    book.save(path)
    return path


def test_xlsx_values_become_text(tmp_path: Path) -> None:
    path = make_xlsx(
        tmp_path / "a.xlsx",
        [
            ["身份证号", "姓名", "出生日期", "人数", None],
            ["110105194912310020", "张三", dt.datetime(1949, 12, 31), 3, None],
            [None, None, None, None, None],
            ["360426199101010071", "李四", dt.date(1991, 1, 1), 2.5, None],
            [None, None, None, None, None],
        ],
    )
    result = read_table(path)
    assert (result.format, result.sheet) == ("xlsx", "名单")
    assert result.frame.columns == [ROW, "身份证号", "姓名", "出生日期", "人数"]
    assert result.frame.rows() == [
        (1, "110105194912310020", "张三", "1949-12-31", "3"),
        (2, None, None, None, None),
        (3, "360426199101010071", "李四", "1991-01-01", "2.5"),
    ]
    assert read_table(path, sheet="other").frame.rows() == [(1, "001")]


def test_xlsx_numbers_too_long_for_excel_are_noted(tmp_path: Path) -> None:
    result = read_table(make_xlsx(tmp_path / "n.xlsx", [["id"], [110105194912310020]]))
    assert result.frame["id"].item().isdigit()
    assert any("15 significant digits" in note for note in result.notes)


def test_xlsx_scan_counts_across_block_boundaries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sheet XML is scanned in blocks: cells and merges cut at a block edge are still counted once."""
    from padis import fileio

    monkeypatch.setattr(fileio, "CHUNK", 97)
    rows: list[list[object]] = [["id", "n"]]
    rows += [[110105194912310020 + i, i] for i in range(300)]
    result = read_table(make_xlsx(tmp_path / "many.xlsx", rows))
    assert result.frame.height == 300
    assert len(result.notes) == 1 and result.notes[0].startswith("300 个单元格")
    assert "300 cells hold numbers of 16+ digits" in result.notes[0]


def test_xlsx_merged_header_found_where_the_data_starts(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["C3"], sheet["E3"] = "户籍人口", "备注"
    sheet["C4"], sheet["D4"], sheet["E4"] = "1", "2", "3"
    sheet.merge_cells("C3:D3")
    book.save(tmp_path / "offset.xlsx")
    assert "merged" in error_of(tmp_path / "offset.xlsx").what
    sheet.unmerge_cells("C3:D3")
    sheet["D3"] = "人数"
    book.save(tmp_path / "offset.xlsx")
    assert read_table(tmp_path / "offset.xlsx").frame.rows() == [(1, "1", "2", "3")]


def test_xlsx_errors(tmp_path: Path) -> None:
    merged = make_xlsx(tmp_path / "m.xlsx", [["人口名单", None], ["id", "name"], ["1", "a"]], merge="A1:B1")
    assert "merged" in error_of(merged).what
    assert "sheet" in error_of(make_xlsx(tmp_path / "s.xlsx", [["a"], ["1"]]), sheet="nope").what
    assert "XLSX" in error_of(write(tmp_path, "fake.xlsx", "id\n1\n")).what
    assert (
        ".xls" in error_of(write(tmp_path, "old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100))).what
    )


@pytest.mark.parametrize(
    ("name", "data", "what"),
    [
        ("empty.csv", b"", "empty file"),
        ("blank.csv", b"\n \n\n", "empty file"),
        ("ragged.csv", b"a,b\n1,2\n3\n", "ragged"),
        ("long.csv", b"a,b\n1,2\n3,4,5\n", "ragged"),
        ("cut.csv", b'a,b\n1,2\n3,"unfinished\n', "truncated"),
        ("dupe.csv", b"a,b,a\n1,2,3\n", "duplicate column"),
        ("reserved.csv", b"_row,b\n1,2\n", "reserved"),
        ("bad.jsonl", b'{"a": 1}\n{"a": \n', "JSON"),
    ],
)
def test_bad_files_give_one_line(tmp_path: Path, name: str, data: bytes, what: str) -> None:
    assert what in error_of(write(tmp_path, name, data)).what


def test_error_reasons_name_the_place(tmp_path: Path) -> None:
    ragged = error_of(write(tmp_path, "r.csv", b"a,b\n1,2\n3,4\n5\n"))
    assert "line 4" in ragged.why
    cut = error_of(write(tmp_path, "c.csv", b'a,b\n1,2\n3,"x\n4,5\n'))
    assert "line 3" in cut.why
    undecodable = error_of(write(tmp_path, "u.csv", b"id\n12\x80\xff\xfe\n"))
    assert "UTF-8" in undecodable.why and "GB18030" in undecodable.why and "offset 5" in undecodable.why
    jsonl = error_of(write(tmp_path, "j.jsonl", b'{"a": 1}\n{"a": 2}\n[1]\n'))
    assert "line 3" in jsonl.why


def test_missing_things(tmp_path: Path) -> None:
    assert "not found" in error_of(tmp_path / "nope.csv").what
    assert "not a file" in error_of(tmp_path).what
    missing = error_of(write(tmp_path, "a.csv", ROWS), column="身份证号")
    assert "not found" in missing.what and "id, name, zip" in missing.why


def test_large_gb18030_file_is_read_whole_and_in_order(tmp_path: Path) -> None:
    n = 300_000
    frame = pl.DataFrame({"id": [f"{i:018d}" for i in range(n)], "name": ["张三"] * n})
    path = tmp_path / "big.csv"
    path.write_bytes(frame.write_csv().encode("gb18030"))
    result = read_table(path, column="id")
    assert result.encoding == "gb18030"
    assert result.frame.height == n
    assert result.frame[ROW].to_list() == list(range(1, n + 1))
    assert result.frame["id"][0] == "0" * 18 and result.frame["name"][n - 1] == "张三"
