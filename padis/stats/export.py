"""Export indicator tables: SDMX-ML, SDMX-CSV, CSV and XLSX, with disclosure control applied first."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from padis.errors import InputError

FORMATS = ("sdmx-ml", "sdmx-csv", "csv", "xlsx", "json")
HEADERS_ZH = {
    "indicator": "指标代码", "label": "指标", "unit": "单位", "level": "区划级别", "ref_area": "区划代码",
    "area_name": "区划名称", "period": "时期", "sex": "性别", "age": "年龄组", "value": "数值",
    "numerator": "分子", "denominator": "分母", "flag": "标注",
}


def write_xlsx(frame: pl.DataFrame, path: str | Path, sheet: str = "指标") -> Path:
    """Write a frame to XLSX with openpyxl (Chinese headers where known)."""
    from openpyxl import Workbook

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.append([HEADERS_ZH.get(c, c) for c in frame.columns])
    for row in frame.iter_rows():
        ws.append(list(row))
    wb.save(p)
    return p


def read_xlsx(path: str | Path) -> pl.DataFrame:
    """Read the first sheet of an XLSX file (header row first) with openpyxl."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    if not rows:
        return pl.DataFrame()
    header = [str(h) for h in rows[0] if h is not None]
    width = len(header)
    body = [list(r)[:width] + [None] * (width - len(r)) for r in rows[1:]]
    return pl.DataFrame(body, schema=header, orient="row", infer_schema_length=None)


def export(results: pl.DataFrame, fmt: str, path: str | Path) -> list[Path]:
    """Write ``results`` in format ``fmt`` to ``path``; returns the files written."""
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}", where="--format", why=f"use one of {', '.join(FORMATS)}")
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "sdmx-ml":
        from padis.stats.sdmx import write_sdmx_ml

        return list(write_sdmx_ml(results, p))
    if fmt == "sdmx-csv":
        from padis.stats.sdmx import write_sdmx_csv

        return list(write_sdmx_csv(results, p))
    if fmt == "csv":
        results.write_csv(p)
    elif fmt == "json":
        results.write_json(p)
    else:
        write_xlsx(results, p)
    return [p]


def publishable(results: pl.DataFrame, threshold: int = 10) -> pl.DataFrame:
    """Apply small-cell suppression before anything is published; adds a ``flag`` column.

    Each count indicator (unit 人) and period is one table, divisions × (sex, age), whose margins are
    published; it gets primary and complementary suppression. A rate whose numerator is a small count
    (0 < n < threshold) is suppressed too.
    """
    from padis.stats.disclosure import suppress_frame

    is_count = pl.col("unit") == "人"
    counts, others = results.filter(is_count), results.filter(~is_count)
    parts = []
    for table in counts.partition_by("indicator", "period", maintain_order=True):
        keyed = table.with_columns((pl.col("sex") + "|" + pl.col("age")).alias("cell"),
                                   pl.col("value").fill_null(0))
        protected = suppress_frame(keyed, "ref_area", "cell", "value", threshold)
        parts.append(keyed.drop("value").join(protected, on=["ref_area", "cell"], how="inner").drop("cell"))
    num = pl.col("numerator")
    small = num.is_not_null() & (num > 0) & (num < threshold)
    others = others.with_columns(
        pl.when(small).then(None).otherwise(pl.col("value")).alias("value"),
        pl.when(small).then(pl.lit("primary")).otherwise(pl.lit("")).alias("flag"))
    columns = others.columns
    return pl.concat([*[p.select(columns) for p in parts], others], how="vertical_relaxed")
