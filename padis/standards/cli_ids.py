"""``padis standards check-ids``: check the identity numbers in a file, one result row per input row."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from padis.errors import InputError
from padis.fileio import ROW, ReadResult, read_table
from padis.standards.idnumber import ERRORS, WARNINGS, check_ids, summarize

# Column names agencies use for the identity number, tried in order when --column is not given.
ID_COLUMN_NAMES = (
    "id_number",
    "公民身份号码",
    "身份证号码",
    "身份证号",
    "身份证",
    "证件号码",
    "GMSFHM",
    "SFZH",
    "ZJHM",
    "id",
    "idcard",
    "id_card",
)
XLSX_MAX_ROWS = 1_048_575


def pick_column(result: ReadResult, column: str | None) -> str:
    """The column holding the numbers: the one asked for, the only one, or a well-known name."""
    if column is not None:
        return column
    columns = result.columns
    if len(columns) == 1:
        return columns[0]
    lowered = {c.strip().lower(): c for c in columns}
    for name in ID_COLUMN_NAMES:
        if name.lower() in lowered:
            return lowered[name.lower()]
    raise InputError(
        "which column holds the identity numbers?",
        where=str(result.path),
        why=f"pass --column; the columns are: {', '.join(columns[:20])}",
    )


def result_frame(read: ReadResult, column: str, *, today: dt.date | None = None) -> pl.DataFrame:
    """One result row per input row, in input order, with Chinese labels next to the codes."""
    checked = check_ids(read.frame[column], today=today)
    return pl.concat([read.frame.select(pl.col(ROW).alias("row")), checked], how="horizontal").with_columns(
        error_label=pl.col("error").replace_strict(ERRORS, default=None, return_dtype=pl.String),
        warning_label=pl.col("warning").replace_strict(WARNINGS, default=None, return_dtype=pl.String),
    ).select(
        "row", "input", "valid", "error", "error_label", "warning", "warning_label",
        "normalized", "region_code", "birth_date", "sex",
    )  # fmt: skip


def write_result(frame: pl.DataFrame, out: Path) -> None:
    """Write the results as CSV (UTF-8 with BOM so Excel reads the Chinese) or as XLSX with text cells."""
    suffix = out.suffix.lower()
    try:
        if suffix == ".xlsx":
            _write_xlsx(frame, out)
        elif suffix in {".csv", ".txt", ""}:
            frame.write_csv(out, include_bom=True, date_format="%Y-%m-%d")
        else:
            raise InputError("unsupported output format", where=str(out), why="use a .csv or .xlsx file name")
    except OSError as exc:
        raise InputError("cannot write the result", where=str(out), why=exc.strerror or str(exc)) from exc


def _write_xlsx(frame: pl.DataFrame, out: Path) -> None:
    import openpyxl

    if frame.height > XLSX_MAX_ROWS:
        raise InputError("too many rows for one XLSX sheet", where=str(out), why="write a .csv instead")
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("check_ids")
    sheet.append(frame.columns)
    text = frame.with_columns(pl.exclude("row").cast(pl.String))
    for values in text.iter_rows():
        sheet.append(list(values))
    book.save(out)


def _summary_table(counts: dict[str, int], read: ReadResult, column: str) -> Table:
    table = Table(title=f"身份号码校验 · {read.path.name} [{column}]", show_lines=False)
    table.add_column("项目")
    table.add_column("代码")
    table.add_column("数量", justify="right")
    table.add_row("行数", "rows", f"{counts['rows']:,}")
    table.add_row("有效", "valid", f"{counts['valid']:,}")
    table.add_row("无效", "invalid", f"{counts['invalid']:,}")
    for code, label in ERRORS.items():
        if counts.get(code):
            table.add_row(f"  错误：{label}", code, f"{counts[code]:,}")
    for code, label in WARNINGS.items():
        if counts.get(code):
            table.add_row(f"  提示：{label}", code, f"{counts[code]:,}")
    return table


def check_ids_command(
    file: Path = typer.Argument(
        ..., help="File of identity numbers: plain list, CSV/TSV, XLSX, JSON Lines or Parquet."
    ),
    column: str | None = typer.Option(
        None, "--column", "-c", help="Column holding the numbers (default: the only column or a known name)."
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Result file, .csv (UTF-8 with BOM) or .xlsx; default FILE.checked.csv."
    ),
    sheet: str | None = typer.Option(None, help="XLSX sheet to read (default: the first)."),
    header: bool | None = typer.Option(
        None, "--header/--no-header", help="Whether a plain list starts with a header line (default: guess)."
    ),
    today: str | None = typer.Option(None, help="Reference date YYYY-MM-DD for the future-birth check."),
) -> None:
    """Check GB 11643 identity numbers in a file: one result row per input row, and a summary."""
    console = Console(stderr=True)
    reference = _parse_today(today)
    with console.status("读取文件…"):
        read = read_table(file, column=column, sheet=sheet, header=header)
    name = pick_column(read, column)
    if read.frame.height == 0:
        raise InputError("no data rows", where=str(file), why="the file has a header but no records")
    encoding = f", {read.encoding}" if read.encoding else ""
    console.print(
        f"读取 {file} ({read.format}{encoding}): {read.frame.height:,} 行，列 {name}", highlight=False
    )
    for note in read.notes:
        console.print(f"[yellow]注意:[/] {note}", highlight=False)
    with console.status("校验号码…"):
        results = result_frame(read, name, today=reference)
    target = out or file.with_name(f"{file.stem}.checked.csv")
    with console.status("写出结果…"):
        write_result(results, target)
    Console().print(_summary_table(summarize(results), read, name))
    console.print(f"结果已写入 {target}", highlight=False)


def _parse_today(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise InputError("bad --today date", where="--today", why=f"{value!r} is not YYYY-MM-DD") from exc


def register(standards_app: typer.Typer) -> None:
    """Add ``check-ids`` to ``padis standards``."""
    standards_app.command("check-ids")(check_ids_command)
