"""Read what agencies send — plain lists, CSV/TSV, XLSX, JSON Lines, Parquet — into all-text Polars frames.

Rules (documented here because every reader of agency files relies on them):

- **Format** is detected from the content first, the suffix second: ``PAR1`` magic → Parquet, a ZIP
  holding ``xl/workbook.xml`` → XLSX, an OLE file → rejected (old ``.xls``), text starting with
  ``{`` → JSON Lines, otherwise delimited text. In text, the delimiter is found on the first line:
  a tab → TSV, a comma → CSV, a semicolon (``.csv`` files only) → CSV with ``;``; none → a *plain
  list* (one value per line).
- **Encoding** of text: a BOM decides (UTF-8, UTF-16); otherwise strict UTF-8, then GB18030 (a
  superset of GBK and GB2312). Decoding streams in blocks; non-UTF-8 text is transcoded to a
  temporary UTF-8 file that Arrow's CSV reader parses (never row by row in Python). The encoding
  used is returned so callers can tell the user.
- **Header**: CSV, TSV, XLSX, JSON Lines and Parquet always have named columns. A plain list (and
  a one-column sheet) has a header when its first line contains no digit (``身份证号``,
  ``id_number``), else none and the column is called ``value`` — or the requested ``column``.
  ``header=True/False`` overrides the guess.
- **Values** are all text (``Utf8``), so leading zeros survive; empty cells are null. XLSX numbers
  become their shortest text (``42`` not ``42.0``); dates become ISO text.
- **Rows**: ``_row`` is the 1-based number of the data record (header excluded). Nothing is
  dropped: blank lines of a plain list are null values. Blank lines in CSV/TSV and completely
  empty rows at the end of a sheet are not records and are skipped.
- **Errors** (``InputError``, one line: file, what, why): missing or unreadable file, 0-byte or
  blank file, undecodable bytes (encodings tried and byte offset), ragged CSV rows and unclosed
  quotes (line number), XLSX merged header cells, duplicate or reserved column names, a missing
  requested column.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import re
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from xml.etree import ElementTree

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv

from padis.errors import InputError

ROW = "_row"
CHUNK = 4 << 20
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# A cell with content (not a self-closing styled blank): its row number.
_FILLED_CELL = re.compile(rb'<(?:\w+:)?c r="\$?[A-Z]{1,3}\$?(\d+)"[^>/]*>\s*<(?:\w+:)?(?:v|is|f)\b')
# A cell value of 16+ digits (plain or in E-notation): a number Excel rounded to 15 significant digits.
# Text cells hold an index (t="s") or an <is> element, so a long value here is a number (or, rarely, a
# formula's text result); the literal "v>" start keeps the scan at C speed.
_LONG_NUMBER = re.compile(rb"v>-?(?:\d{16,}(?:\.0*)?|\d(?:\.\d+)?[Ee]\+?(?:1[5-9]|[2-9]\d))</")
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="\$?([A-Z]+)\$?(\d+)(?::\$?([A-Z]+)\$?(\d+))?"')
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_LIST_SEPARATOR = "\x1f"  # never in a one-value-per-line file: lets Arrow split lines only


@dataclass(frozen=True)
class ReadResult:
    """A file read into a frame of text columns plus ``_row``, and how it was read."""

    frame: pl.DataFrame
    format: str  # list | csv | tsv | xlsx | jsonl | parquet
    encoding: str | None  # utf-8 | utf-8-sig | utf-16 | gb18030; None for binary formats
    path: Path
    header: bool = True
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        """The data columns (without ``_row``)."""
        return [c for c in self.frame.columns if c != ROW]


def read_table(
    path: str | Path,
    *,
    column: str | None = None,
    sheet: str | None = None,
    header: bool | None = None,
) -> ReadResult:
    """Read a list, CSV, TSV, XLSX, JSON Lines or Parquet file into text columns plus ``_row``."""
    path = Path(path)
    where = str(path)
    head = _open_head(path)
    suffix = path.suffix.lower()
    if head.startswith(b"PAR1"):
        result = _read_parquet(path)
    elif head.startswith(b"PK\x03\x04"):
        result = _read_xlsx(path, sheet=sheet, header=header)
    elif head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError("old Excel .xls files are not supported", where=where, why="save it as .xlsx or CSV")
    elif suffix in {".xlsx", ".xlsm"}:
        raise InputError("not an XLSX workbook", where=where, why="the content is not a ZIP/XLSX file")
    elif suffix == ".parquet":
        raise InputError("not a Parquet file", where=where, why="the PAR1 signature is missing")
    else:
        result = _read_text(path, header=header, column=column)
    return _finish(result, column)


def _open_head(path: Path) -> bytes:
    where = str(path)
    if not path.exists():
        raise InputError("file not found", where=where, why="no such file")
    if path.is_dir():
        raise InputError("not a file", where=where, why="it is a directory")
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        raise InputError("cannot read the file", where=where, why=exc.strerror or str(exc)) from exc
    if not head:
        raise InputError("empty file", where=where, why="0 bytes")
    return head


def _finish(result: ReadResult, column: str | None) -> ReadResult:
    frame = result.frame
    where = str(result.path)
    if ROW in frame.columns:
        raise InputError(f"the column name {ROW} is reserved", where=where, why="rename that column")
    if column is not None and column not in frame.columns:
        if not result.header and frame.width == 1:
            frame = frame.rename({frame.columns[0]: column})
        else:
            listed = ", ".join(frame.columns[:20]) or "none"
            raise InputError(f"column {column!r} not found", where=where, why=f"the columns are: {listed}")
    frame = frame.with_columns(pl.int_range(1, frame.height + 1, dtype=pl.Int64).alias(ROW)).select(
        ROW, pl.exclude(ROW)
    )
    return ReadResult(
        frame, result.format, result.encoding, result.path, result.header, result.sheet, result.notes
    )


# --- text: encoding -------------------------------------------------------------------------------


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            yield block


def _decode(path: Path, encoding: str, out: BinaryIO | None) -> int | None:
    """Decode the file (writing UTF-8 to ``out`` if given); the offset of the first bad byte, or None."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = 0
    for block in _chunks(path):
        pending = len(decoder.getstate()[0])
        try:
            text = decoder.decode(block)
        except UnicodeDecodeError as exc:
            return offset - pending + exc.start
        if out is not None:
            out.write(text.encode("utf-8"))
        offset += len(block)
    try:
        tail = decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        return offset - len(decoder.getstate()[0]) + exc.start
    if out is not None:
        out.write(tail.encode("utf-8"))
    return None


@contextlib.contextmanager
def _utf8_source(path: Path) -> Iterator[tuple[Path, str]]:
    """The file as UTF-8 and its detected encoding: the file itself if plain UTF-8, else a temporary copy.

    At most two passes: strict UTF-8 validation, then transcoding (BOM encoding or GB18030).
    """
    with path.open("rb") as handle:
        head = handle.read(4)
    encoding = next((name for bom, name in _BOMS if head.startswith(bom)), None)
    bad_utf8 = None
    if encoding is None:
        bad_utf8 = _decode(path, "utf-8", None)
        if bad_utf8 is None:
            yield path, "utf-8"
            return
        encoding = "gb18030"
    with tempfile.TemporaryDirectory(prefix="padis-read-") as tmp:
        target = Path(tmp) / "utf8.txt"
        with target.open("wb") as out:
            bad = _decode(path, encoding, out)
        if bad is not None:
            if bad_utf8 is None:
                why = f"it starts with a {encoding} byte-order mark but byte {bad} is invalid in {encoding}"
            else:
                why = f"tried UTF-8 (invalid byte at offset {bad_utf8}) and "
                why += f"GB18030 (invalid byte at offset {bad})"
            raise InputError("cannot decode the file", where=str(path), why=why)
        yield target, encoding


def _first_line(source: Path) -> str:
    with source.open("r", encoding="utf-8", newline="") as handle:
        for line in handle:
            if line.strip("\r\n\ufeff"):
                return line.rstrip("\r\n").lstrip("\ufeff")
    return ""


# --- text: parsing --------------------------------------------------------------------------------


def _read_text(path: Path, *, header: bool | None, column: str | None) -> ReadResult:
    where = str(path)
    with _utf8_source(path) as (source, encoding):
        first = _first_line(source)
        if not first.strip():
            raise InputError("empty file", where=where, why="it holds only blank lines")
        if first.lstrip().startswith("{"):
            return ReadResult(_read_jsonl(source, where), "jsonl", encoding, path)
        delimiter = None
        if "\t" in first:
            delimiter = "\t"
        elif "," in first:
            delimiter = ","
        elif ";" in first and path.suffix.lower() == ".csv":
            delimiter = ";"
        if delimiter is None:
            has_header = _list_has_header(first) if header is None else header
            frame = _read_list(source, has_header, column or "value", where)
            return ReadResult(frame, "list", encoding, path, header=has_header)
        frame = _read_delimited(source, delimiter, header is not False, where)
        return ReadResult(
            frame, "tsv" if delimiter == "\t" else "csv", encoding, path, header=header is not False
        )


def _list_has_header(first: str) -> bool:
    """A first line without any digit is a header (``身份证号``); a value-like line is data."""
    return not any(ch.isdigit() for ch in first)


def _arrow_strings(source: Path, names: list[str], skip: int, parse: pacsv.ParseOptions) -> pa.Table:
    return pacsv.read_csv(
        source,
        read_options=pacsv.ReadOptions(
            column_names=names, skip_rows=skip, use_threads=False, block_size=CHUNK
        ),
        parse_options=parse,
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )


def _read_list(source: Path, has_header: bool, default_name: str, where: str) -> pl.DataFrame:
    name = _first_line(source).strip() if has_header else default_name
    name = name or default_name
    # Leading blank lines before a header are not records; count them so the header is skipped.
    skip = 0
    if has_header:
        with source.open("r", encoding="utf-8", newline="") as handle:
            for line in handle:
                skip += 1
                if line.strip("\r\n\ufeff"):
                    break
    parse = pacsv.ParseOptions(delimiter=_LIST_SEPARATOR, quote_char=False, ignore_empty_lines=False)
    try:
        table = _arrow_strings(source, [name], skip, parse)
    except pa.ArrowInvalid as exc:
        raise InputError("cannot parse the list", where=where, why=str(exc).splitlines()[0]) from exc
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def _header_names(first: str, delimiter: str, where: str) -> list[str]:
    import csv

    row = next(csv.reader([first], delimiter=delimiter))
    names = [cell.strip().lstrip("\ufeff").strip() or f"column_{i}" for i, cell in enumerate(row, start=1)]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InputError(
                "duplicate column name in the header", where=where, why=f"{name!r} appears twice"
            )
        seen.add(name)
    return names


def _read_delimited(source: Path, delimiter: str, has_header: bool, where: str) -> pl.DataFrame:
    first = _first_line(source)
    if has_header:
        names = _header_names(first, delimiter, where)
    else:
        names = [f"column_{i}" for i in range(1, len(_header_names(first, delimiter, where)) + 1)]
    _check_quotes(source, where)
    bad: list[str] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad.append(f"line {row.number}: expected {row.expected_columns} fields, found {row.actual_columns}")
        return "error"

    parse = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, invalid_row_handler=on_invalid)
    try:
        table = _arrow_strings(source, names, 1 if has_header else 0, parse)
    except pa.ArrowInvalid as exc:
        # Arrow's message ends with the offending row's text: cut it, it may hold personal data.
        why = bad[0] if bad else re.sub(r"(got \d+).*", r"\1", str(exc).splitlines()[0])
        raise InputError("ragged or malformed CSV", where=where, why=why) from exc
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def _check_quotes(source: Path, where: str) -> None:
    """An odd number of quote characters means a quoted value never closes (a cut-off file)."""
    count = sum(block.count(b'"') for block in _chunks(source))
    if count % 2 == 0:
        return
    opened_at, inside = 0, False
    with source.open("r", encoding="utf-8", newline="") as handle:
        for number, line in enumerate(handle, start=1):
            for _ in range(line.count('"')):
                inside = not inside
                if inside:
                    opened_at = number
    raise InputError(
        "truncated CSV: a quoted value is never closed",
        where=where,
        why=f"the quote opened on line {opened_at} has no closing quote",
    )


def _read_jsonl(source: Path, where: str) -> pl.DataFrame:
    try:
        frame = pl.read_ndjson(source, infer_schema_length=None)
    except Exception as exc:  # noqa: BLE001 - polars raises several types for bad JSON
        raise InputError("malformed JSON Lines", where=where, why=_jsonl_problem(source, exc)) from exc
    return _to_text(frame, where)


def _jsonl_problem(source: Path, exc: Exception) -> str:
    with source.open("r", encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as err:
                return f"line {number}: {err.msg}"
            if not isinstance(value, dict):
                return f"line {number}: not a JSON object"
    return str(exc).splitlines()[0]


def _to_text(frame: pl.DataFrame, where: str) -> pl.DataFrame:
    """Cast every column to text; nested columns become JSON text."""
    columns = []
    for name, dtype in frame.schema.items():
        if dtype == pl.String:
            columns.append(pl.col(name))
        elif isinstance(dtype, pl.Struct):
            columns.append(
                pl.when(pl.col(name).is_not_null()).then(pl.col(name).struct.json_encode()).alias(name)
            )
        elif isinstance(dtype, pl.List | pl.Array):
            encoded = pl.struct(pl.col(name).alias("v")).struct.json_encode().str.slice(5).str.head(-1)
            columns.append(pl.when(pl.col(name).is_not_null()).then(encoded).alias(name))
        elif dtype == pl.Datetime:
            columns.append(pl.col(name).dt.to_string("%Y-%m-%d %H:%M:%S"))
        else:
            columns.append(pl.col(name).cast(pl.String))
    try:
        return frame.select(columns)
    except pl.exceptions.PolarsError as exc:
        raise InputError(
            "cannot turn the columns into text", where=where, why=str(exc).splitlines()[0]
        ) from exc


# --- binary formats -------------------------------------------------------------------------------


def _read_parquet(path: Path) -> ReadResult:
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - corrupt files raise several types
        raise InputError(
            "cannot read the Parquet file", where=str(path), why=str(exc).splitlines()[0]
        ) from exc
    return ReadResult(_to_text(frame, str(path)), "parquet", None, path)


def _column_number(letters: bytes) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + (ch - 64)
    return number


@dataclass
class SheetScan:
    """What the reader needs from a sheet's XML besides its values."""

    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # rows r1-r2, columns c1-c2
    first_row: int | None = None  # the first row holding a value (the header, when there is one)
    long_numbers: int = 0  # numeric cells of 16+ digits: Excel kept only 15 significant ones

    def add(self, data: bytes, end: int) -> None:
        """Count what ``data[:end]`` (whole elements only) holds."""
        if self.first_row is None and (found := _FILLED_CELL.search(data, 0, end)):
            self.first_row = int(found.group(1))
        self.long_numbers += sum(1 for _ in _LONG_NUMBER.finditer(data, 0, end))
        if b"mergeCell" not in data:
            return
        for match in _MERGE.finditer(data, 0, end):
            c1, r1, c2, r2 = match.groups()
            self.merged.append((int(r1), int(r2 or r1), _column_number(c1), _column_number(c2 or c1)))


def _scan_sheet(path: Path, member: str) -> SheetScan:
    """One streaming pass over a sheet's XML: merged ranges, the first filled row, long numbers."""
    scan = SheetScan()
    with zipfile.ZipFile(path) as archive, archive.open(member.lstrip("/")) as handle:
        carry = b""
        while block := handle.read(CHUNK):
            data = carry + block
            # Elements before the last cell / merge start are whole; the rest waits for the next block.
            cut = max(
                data.rfind(b"<c "), data.rfind(b":c "), data.rfind(b"<mergeCell"), data.rfind(b":mergeCell")
            )
            if cut < 0 or len(data) - cut > 1 << 16:
                cut = max(data.rfind(b"<"), 0)
            scan.add(data, cut)
            carry = data[cut:]
        scan.add(carry, len(carry))
    return scan


def _sheet_member(path: Path, sheet: str | None) -> tuple[str, str]:
    """The chosen sheet's name and its XML member in the archive (from the workbook part and its rels)."""
    where = str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "xl/workbook.xml" not in names:
                raise InputError(
                    "not an XLSX workbook", where=where, why="a ZIP file without xl/workbook.xml"
                )
            workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
            rels_name = "xl/_rels/workbook.xml.rels"
            rels = ElementTree.fromstring(archive.read(rels_name)) if rels_name in names else None
    except InputError:
        raise
    except (zipfile.BadZipFile, ElementTree.ParseError, OSError, KeyError) as exc:
        raise InputError("cannot open the XLSX workbook", where=where, why=str(exc).splitlines()[0]) from exc
    sheets = [
        (e.get("name") or "", e.get(_REL_ID) or "") for e in workbook.iter() if e.tag.endswith("}sheet")
    ]
    if not sheets:
        raise InputError("cannot open the XLSX workbook", where=where, why="the workbook lists no sheets")
    if sheet is None:
        name, rel = sheets[0]
    else:
        chosen = [s for s in sheets if s[0] == sheet]
        if not chosen:
            raise InputError(
                f"sheet {sheet!r} not found", where=where, why=f"sheets: {', '.join(n for n, _ in sheets)}"
            )
        name, rel = chosen[0]
    targets = {r.get("Id"): r.get("Target") or "" for r in (rels if rels is not None else [])}
    target = targets.get(rel, "")
    member = target.lstrip("/") if target.startswith("/") else f"xl/{target}" if target else ""
    return name, member if member in names else ""


def _sheet_frame(path: Path, name: str, where: str) -> pl.DataFrame:
    """Every cell of the sheet's used range as text (fastexcel: calamine, columnar), Excel's way of writing
    numbers and dates: 3.0 as 3, a date at midnight as 2024-05-01, TRUE as true; blank text as null."""
    import fastexcel

    try:
        frame = fastexcel.read_excel(path).load_sheet(name, header_row=None, dtypes="string").to_polars()
    except Exception as exc:  # noqa: BLE001 - calamine's errors come as several exception types
        raise InputError("cannot read the sheet", where=where, why=str(exc).splitlines()[0][:200]) from exc
    text = pl.col(pl.String)
    return frame.with_columns(
        pl.when(text.str.strip_chars() == "")
        .then(None)
        .otherwise(text.str.replace(r"^(\d{4}-\d{2}-\d{2}) 00:00:00$", "$1"))
        .name.keep()
    )


def _read_xlsx(path: Path, *, sheet: str | None, header: bool | None) -> ReadResult:
    name, member = _sheet_member(path, sheet)
    where = f"{path}[{name}]"
    frame = _sheet_frame(path, name, where)
    filled = frame.select(pl.any_horizontal(pl.all().is_not_null())).to_series() if frame.width else None
    if filled is None or not filled.any():
        raise InputError("empty sheet", where=where, why="no cell holds a value")
    rows = filled.arg_true()
    frame = frame.slice(int(rows[0]), int(rows[-1]) - int(rows[0]) + 1)
    used = [c for c in frame.columns if frame.get_column(c).null_count() < frame.height]
    frame = frame.select(frame.columns[: frame.columns.index(used[-1]) + 1])
    first_row = [frame.item(0, i) for i in range(frame.width)]
    if header is None:
        header = frame.width > 1 or not any(ch.isdigit() for ch in (first_row[0] or ""))
    scan = _scan_sheet(path, member) if member else SheetScan()
    if header and scan.first_row is not None:
        for r1, r2, c1, c2 in scan.merged:
            if r1 <= scan.first_row <= r2 and (c1 != c2 or r1 != r2):
                raise InputError(
                    "merged cells in the header row",
                    where=where,
                    why=f"row {scan.first_row}, columns {c1}–{c2}: unmerge them so each column has one name",
                )
    if header:
        names = [(v or "").strip() or f"column_{i + 1}" for i, v in enumerate(first_row)]
        if len(set(names)) != len(names):
            dupes = sorted({n for n in names if names.count(n) > 1})
            raise InputError(
                "duplicate column name in the header", where=where, why=f"{dupes[0]!r} appears twice"
            )
        frame = frame.slice(1)
    else:
        names = [f"column_{i + 1}" for i in range(frame.width)] if frame.width > 1 else ["value"]
    frame = frame.rename(dict(zip(frame.columns, names, strict=True)))
    notes = []
    if scan.long_numbers:
        n = scan.long_numbers
        notes.append(
            f"{n} 个单元格是16位以上的数字，Excel 只保留了15位有效数字（把该列设为文本后重新输入） / "
            f"{n} cells hold numbers of 16+ digits: Excel kept only 15 significant digits"
        )
    return ReadResult(frame, "xlsx", None, path, header=header, sheet=name, notes=notes)
