"""Reading an agency file into an all-text Polars frame: ``padis.fileio.read_table`` when present.

The private fallback below covers the same contract (CSV in UTF-8 / BOM / GB18030, XLSX, JSON Lines,
Parquet; clear ``InputError`` for 0-byte, undecodable, truncated, merged-header files) until the
shared reader lands.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from padis.errors import InputError

ROW_COLUMN = "_row"


@dataclass(frozen=True)
class SourceTable:
    """What was read: every column as text plus ``_row`` (1-based source row), format and encoding."""

    frame: pl.DataFrame
    format: str
    encoding: str | None
    path: Path


def read_source(path: Path) -> SourceTable:
    """Read ``path`` with the shared reader (or the fallback), all columns as text."""
    if importlib.util.find_spec("padis.fileio") is not None:
        from padis import fileio

        result = fileio.read_table(path)
        return SourceTable(result.frame, str(result.format), getattr(result, "encoding", None), path)
    return _fallback_read(path)


def _fallback_read(path: Path) -> SourceTable:
    where = str(path)
    if not path.is_file():
        raise InputError("file not found", where=where)
    data = path.read_bytes()
    if not data:
        raise InputError("the file is empty (0 bytes)", where=where, why="nothing to collect")
    suffix = path.suffix.lower()
    if data[:4] == b"PAR1" or suffix == ".parquet":
        return SourceTable(_all_text(_parquet(data, where)), "parquet", None, path)
    if data[:2] == b"PK" or suffix == ".xlsx":
        return SourceTable(_all_text(_xlsx(data, where)), "xlsx", None, path)
    text, encoding = _decode(data, where)
    if suffix in (".jsonl", ".ndjson") or text.lstrip().startswith("{"):
        return SourceTable(_all_text(_jsonl(text, where)), "jsonl", encoding, path)
    return SourceTable(_csv(text, where), "csv", encoding, path)


def _all_text(frame: pl.DataFrame) -> pl.DataFrame:
    frame = frame.with_columns(pl.all().cast(pl.String))
    return frame.with_row_index(ROW_COLUMN, offset=1).with_columns(pl.col(ROW_COLUMN).cast(pl.Int64))


def _parquet(data: bytes, where: str) -> pl.DataFrame:
    try:
        return pl.read_parquet(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - any parquet failure means a damaged file
        raise InputError(
            "cannot read the Parquet file", where=where, why=f"truncated or damaged: {exc}"
        ) from exc


def _xlsx(data: bytes, where: str) -> pl.DataFrame:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=False, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise InputError(
            "cannot read the XLSX file", where=where, why=f"truncated or damaged: {exc}"
        ) from exc
    sheet = book.worksheets[0]
    for merged in sheet.merged_cells.ranges:
        if merged.min_row == 1:
            raise InputError(
                "the header row has merged cells",
                where=f"{where} sheet {sheet.title} {merged.coord}",
                why="unmerge them so every column has its own name",
            )
    rows = list(sheet.iter_rows(values_only=True))
    if not rows:
        raise InputError("the sheet is empty", where=f"{where} sheet {sheet.title}")
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    if "" in header:
        raise InputError(
            "a header cell is empty", where=f"{where} sheet {sheet.title}", why="name every column"
        )
    body = [[None if v is None else str(v) for v in r] for r in rows[1:]]
    return pl.DataFrame(body, schema=dict.fromkeys(header, pl.String), orient="row")


def _decode(data: bytes, where: str) -> tuple[str, str]:
    if data[:3] == b"\xef\xbb\xbf":
        encodings = ["utf-8-sig"]
    elif data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise InputError("UTF-16 files are not supported", where=where, why="save as UTF-8 or GB18030")
    else:
        encodings = ["utf-8", "gb18030"]
    last: UnicodeDecodeError | None = None
    for enc in encodings:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError as exc:
            last = exc
    assert last is not None
    raise InputError(
        "cannot decode the file",
        where=where,
        why=f"tried {', '.join(encodings)}; bad byte at offset {last.start}",
    )


def _jsonl(text: str, where: str) -> pl.DataFrame:
    try:
        return pl.read_ndjson(io.StringIO(text), infer_schema_length=None)
    except Exception as exc:  # noqa: BLE001
        raise InputError(
            "cannot read the JSON Lines file", where=where, why=str(exc).splitlines()[0]
        ) from exc


def _csv(text: str, where: str) -> pl.DataFrame:
    sample = text[:65536]
    delimiter = "\t" if sample.split("\n", 1)[0].count("\t") > sample.split("\n", 1)[0].count(",") else ","
    lines = text.splitlines()
    if not lines:
        raise InputError("the file has no header", where=where)
    width = len(next(csv.reader([lines[0]], delimiter=delimiter)))
    # A truncated file ends mid-row: its last row is short (or an unterminated quote swallows the rest).
    if text.count('"') % 2:
        raise InputError("unbalanced quote", where=where, why="the file looks truncated")
    last = next(csv.reader([lines[-1]], delimiter=delimiter)) if len(lines) > 1 else []
    if lines[-1] and len(last) != width:
        raise InputError(
            "the last row is incomplete",
            where=f"{where} row {len(lines) - 1}",
            why=f"{len(last)} of {width} fields: the file looks truncated",
        )
    try:
        frame = pl.read_csv(
            io.StringIO(text),
            separator=delimiter,
            infer_schema=False,
            truncate_ragged_lines=False,
            missing_utf8_is_empty_string=False,
        )
    except Exception as exc:  # noqa: BLE001
        raise InputError("cannot parse the CSV file", where=where, why=str(exc).splitlines()[0]) from exc
    frame = frame.rename({c: c.strip() for c in frame.columns})
    return frame.with_row_index(ROW_COLUMN, offset=1).with_columns(pl.col(ROW_COLUMN).cast(pl.Int64))
