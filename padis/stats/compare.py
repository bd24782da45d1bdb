"""Cross-department comparison: another department's macro table against the register's own figures."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from padis.errors import InputError

# which register indicator each department's table is compared with
SOURCES: dict[str, tuple[str, str]] = {
    "public_security": ("POP_REG", "公安部门户籍人口"),
    "statistics": ("BIRTHS", "统计部门出生人数"),
    "education": ("SCHOOL_AGE", "教育部门在校学生数"),
}
DIVISION_COLUMNS = ("division", "ref_area", "code", "区划代码", "行政区划代码", "county", "地区代码")
VALUE_COLUMNS = ("value", "count", "population", "births", "enrolment", "数值", "人数", "户籍人口",
                 "出生人数", "在校学生数")


def _pick(frame: pl.DataFrame, wanted: str | None, candidates: tuple[str, ...], what: str, path: str) -> str:
    if wanted:
        if wanted not in frame.columns:
            raise InputError(f"no column {wanted!r}", where=path, why=f"columns: {', '.join(frame.columns)}")
        return wanted
    for c in candidates:
        if c in frame.columns:
            return c
    raise InputError(f"cannot find the {what} column", where=path,
                     why=f"name it with --{what}-column; columns: {', '.join(frame.columns)}")


def load_macro(path: str | Path, *, division_column: str | None = None,
               value_column: str | None = None) -> pl.DataFrame:
    """Read another department's table (CSV/XLSX/Parquet/JSON) as division, value."""
    from padis.stats.survey import read_frame

    frame = read_frame(path)
    where = str(path)
    div = _pick(frame, division_column, DIVISION_COLUMNS, "division", where)
    val = _pick(frame, value_column, VALUE_COLUMNS, "value", where)
    out = frame.select(
        pl.col(div).cast(pl.Utf8).str.strip_chars().str.slice(0, 6).alias("ref_area"),
        pl.col(val).cast(pl.Utf8).str.replace_all(",", "").str.strip_chars()
        .cast(pl.Float64, strict=False).alias("theirs"))
    bad = out.filter(pl.col("theirs").is_null() | ~pl.col("ref_area").str.contains(r"^\d{6}$"))
    if bad.height:
        raise InputError(f"{bad.height} row(s) without a 6-digit division code or a number", where=where,
                         why="fix or remove those rows")
    return out.group_by("ref_area").agg(pl.col("theirs").sum())


def compare(ours: pl.DataFrame, theirs: pl.DataFrame, *, threshold: float = 0.05) -> pl.DataFrame:
    """Both figures by division with difference (theirs − ours), ratio (theirs / ours) and a flag when
    |ratio − 1| exceeds ``threshold`` or a division is missing on one side."""
    if not 0 <= threshold < 10:
        raise InputError(f"bad threshold {threshold}", where="--threshold", why="a share such as 0.05")
    mine = ours.select("ref_area", pl.col("value").alias("ours"))
    joined = mine.join(theirs, on="ref_area", how="full", coalesce=True)
    return joined.with_columns(
        (pl.col("theirs") - pl.col("ours")).alias("difference"),
        pl.when(pl.col("ours") > 0).then(pl.col("theirs") / pl.col("ours")).otherwise(None).alias("ratio"),
    ).with_columns(
        (pl.col("ratio").is_null() | ((pl.col("ratio") - 1).abs() > threshold)).alias("flagged"),
    ).sort("ref_area")


def compare_with_register(results: pl.DataFrame, macro: pl.DataFrame, source: str, period: str,
                          threshold: float = 0.05) -> pl.DataFrame:
    """Compare a department's table with the register's indicator (``results`` at one level) in ``period``."""
    if source not in SOURCES:
        raise InputError(f"unknown source {source!r}", where="--source", why=f"one of {', '.join(SOURCES)}")
    code, label = SOURCES[source]
    ours = results.filter((pl.col("indicator") == code) & (pl.col("period") == period)
                          & (pl.col("sex") == "_T") & (pl.col("age") == "_T"))
    out = compare(ours, macro, threshold=threshold)
    return out.with_columns(pl.lit(source).alias("source"), pl.lit(label).alias("source_label"),
                            pl.lit(code).alias("indicator"), pl.lit(period).alias("period"))
