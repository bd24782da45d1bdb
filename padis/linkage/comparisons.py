"""The comparison catalogue: for each comparison type, its derived feature columns, Splink levels and keys.

Every level is plain SQL over precomputed columns (equality, ``levenshtein``, ``damerau_levenshtein``,
``jaro_winkler``) written in the DuckDB dialect and translated by Splink/sqlglot, so one settings file
runs unchanged on DuckDB and Spark.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl
import splink.comparison_level_library as cll
import splink.comparison_library as cl

from padis.linkage import normalize

BASE = "duckdb"


def _q(name: str) -> str:
    return f'"{name}"'


def _null(*cols: str) -> cll.CustomLevel:
    cond = " OR ".join(f"{_q(c + '_l')} IS NULL OR {_q(c + '_r')} IS NULL" for c in cols)
    return cll.CustomLevel(cond, "缺失 missing", base_dialect_str=BASE).configure(is_null_level=True)


def _eq(col: str) -> str:
    return f"{_q(col + '_l')} = {_q(col + '_r')}"


def _level(sql: str, label: str, tf: str | None = None) -> cll.CustomLevel:
    level = cll.CustomLevel(sql, label, base_dialect_str=BASE)
    if tf is not None:
        level = level.configure(tf_adjustment_column=tf, tf_adjustment_weight=1.0)
    return level


def _else() -> cll.ElseLevel:
    return cll.ElseLevel().configure(label_for_charts="不同 different")


@dataclass(frozen=True)
class ComparisonType:
    """One comparison type: how to derive its columns, its Splink comparison, and its blocking keys."""

    name: str
    label: str
    prepare: Callable[[pl.Series, str], pl.DataFrame]
    comparison: Callable[[str], cl.CustomComparison]
    keys: Callable[[str], dict[str, str]]
    tf_columns: Callable[[str], list[str]]


# --- identity number -------------------------------------------------------------------------------


def _prep_id(values: pl.Series, col: str) -> pl.DataFrame:
    f = normalize.id_features(values)
    return pl.DataFrame(
        {
            f"{col}__id18": f["id18"],
            f"{col}__id17": f["id17"],
            f"{col}__valid": f["valid"],
            f"{col}__len": f["len"],
            f"{col}__birth": f["birth"],
            f"{col}__pre14": f["id17"].str.slice(0, 14),
            f"{col}__tail": f["id17"].str.slice(6, 11),
            f"{col}__rs": f["id17"].str.slice(0, 6) + f["id17"].str.slice(14, 3),
            f"{col}__h7": f["id17"].str.slice(0, 7),
            f"{col}__t8": f["id17"].str.slice(9, 8),
        }
    )


def id_comparison(col: str) -> cl.CustomComparison:
    """Identity number: exact; 15/18-digit forms; check character only; one digit; adjacent transposition."""
    id18, id17, ln = f"{col}__id18", f"{col}__id17", f"{col}__len"
    # One substitution or adjacent transposition leaves the first 7 or the last 8 digits intact:
    # a cheap equality guard keeps the slow edit distances off nearly all random pairs.
    guard = f"({_eq(col + '__h7')} OR {_eq(col + '__t8')})"
    return cl.CustomComparison(
        output_column_name=col,
        comparison_description="身份证号 identity number",
        comparison_levels=[
            _null(id17),
            _level(f"{_eq(id18)} AND {_eq(ln)}", "完全一致 exact"),
            _level(_eq(id18), "15/18 位同号 same number, 15 and 18 digits"),
            _level(_eq(id17), "仅校验码不同 check character only"),
            _level(
                f"{guard} AND levenshtein({_q(id17 + '_l')}, {_q(id17 + '_r')}) = 1", "一位不同 one digit"
            ),
            _level(
                f"{guard} AND damerau_levenshtein({_q(id17 + '_l')}, {_q(id17 + '_r')}) = 1",
                "相邻换位 adjacent transposition",
            ),
            _else(),
        ],
    )


# --- Chinese names ---------------------------------------------------------------------------------


def _prep_name(values: pl.Series, col: str) -> pl.DataFrame:
    feats = normalize.name_features(values)
    cleaned = feats.select("_raw", pl.col("_raw").str.replace_all(r"[\s·•.．\u3000]", "").alias("n"))
    frame = pl.DataFrame({"_raw": values.cast(pl.Utf8)}).join(
        feats.join(cleaned, on="_raw"), on="_raw", how="left", maintain_order="left"
    )
    return frame.select(
        pl.col("n").alias(f"{col}__n"),
        pl.col("s").alias(f"{col}__s"),
        pl.col("py").alias(f"{col}__py"),
        pl.col("swap").alias(f"{col}__swap"),
        pl.col("surname").alias(f"{col}__surname"),
        pl.col("given").alias(f"{col}__given"),
    )


def name_comparison(col: str) -> cl.CustomComparison:
    """Chinese name: exact; same after t→s folding; same pinyin; order swapped; one character edit."""
    n, s, py, sw = f"{col}__n", f"{col}__s", f"{col}__py", f"{col}__swap"
    return cl.CustomComparison(
        output_column_name=col,
        comparison_description="姓名 name",
        comparison_levels=[
            _null(s),
            _level(_eq(n), "完全一致 exact", tf=s),
            _level(_eq(s), "繁简转换后一致 same after traditional→simplified", tf=s),
            _level(_eq(py), "拼音相同 same pinyin", tf=py),
            _level(
                f"{_q(s + '_l')} = {_q(sw + '_r')} OR {_q(sw + '_l')} = {_q(s + '_r')}",
                "姓名顺序颠倒 given/family swapped",
            ),
            _level(f"levenshtein({_q(s + '_l')}, {_q(s + '_r')}) <= 1", "一字之差 one character edit"),
            _else(),
        ],
    )


# --- dates -----------------------------------------------------------------------------------------


def _prep_date(values: pl.Series, col: str) -> pl.DataFrame:
    d = normalize.date_strings(values)
    return pl.DataFrame(
        {
            f"{col}__d": d,
            f"{col}__y": d.str.slice(0, 4),
            f"{col}__m": d.str.slice(5, 2),
            f"{col}__dd": d.str.slice(8, 2),
        }
    )


def date_comparison(col: str) -> cl.CustomComparison:
    """Birth date: exact; day and month swapped; one of year/month/day off."""
    d, y, m, dd = (f"{col}__{p}" for p in ("d", "y", "m", "dd"))
    return cl.CustomComparison(
        output_column_name=col,
        comparison_description="出生日期 birth date",
        comparison_levels=[
            _null(d),
            # Term frequencies: a date shared by many records (recent births, 1 January) says less.
            _level(_eq(d), "完全一致 exact", tf=d),
            _level(
                f"{_eq(y)} AND {_q(m + '_l')} = {_q(dd + '_r')} AND {_q(dd + '_l')} = {_q(m + '_r')}",
                "日月颠倒 day/month swapped",
            ),
            _level(
                f"({_eq(y)} AND {_eq(m)}) OR ({_eq(y)} AND {_eq(dd)}) OR ({_eq(m)} AND {_eq(dd)})",
                "一项不同 one field off",
            ),
            _else(),
        ],
    )


# --- sex, division, address, generic ---------------------------------------------------------------


def _prep_sex(values: pl.Series, col: str) -> pl.DataFrame:
    v = values.cast(pl.Utf8).str.strip_chars()
    code = v.replace({"男": "1", "女": "2", "M": "1", "F": "2", "m": "1", "f": "2", "男性": "1", "女性": "2"})
    return pl.DataFrame({f"{col}__v": pl.select(pl.when(code.is_in(["1", "2"])).then(code)).to_series()})


def sex_comparison(col: str) -> cl.CustomComparison:
    """Sex: same or different."""
    v = f"{col}__v"
    return cl.CustomComparison(
        output_column_name=col,
        comparison_description="性别 sex",
        comparison_levels=[_null(v), _level(_eq(v), "相同 same"), _else()],
    )


def _prep_division(values: pl.Series, col: str) -> pl.DataFrame:
    f = normalize.division_features(values)
    return f.rename({c: f"{col}__{c}" for c in f.columns})


def division_comparison(col: str) -> cl.CustomComparison:
    """Division: same county (successor codes folded) / prefecture / province (GB/T 2260 hierarchy)."""
    c, p, v = f"{col}__county", f"{col}__prefecture", f"{col}__province"
    return cl.CustomComparison(
        output_column_name=col,
        comparison_description="行政区划 division",
        comparison_levels=[
            _null(c),
            _level(_eq(c), "同县 same county"),
            _level(_eq(p), "同地市 same prefecture"),
            _level(_eq(v), "同省 same province"),
            _else(),
        ],
    )


def _prep_address(values: pl.Series, col: str) -> pl.DataFrame:
    return pl.DataFrame({f"{col}__a": normalize.address_text(values)})


def _fuzzy(col: str, label: str, derived: str, jw: tuple[float, float]) -> cl.CustomComparison:
    a = derived
    return cl.CustomComparison(
        output_column_name=col,
        comparison_description=label,
        comparison_levels=[
            _null(a),
            _level(_eq(a), "完全一致 exact"),
            cll.JaroWinklerLevel(a, jw[0]),
            cll.JaroWinklerLevel(a, jw[1]),
            _else(),
        ],
    )


def address_comparison(col: str) -> cl.CustomComparison:
    """Address text: exact after cleaning; Jaro-Winkler ≥ 0.9; ≥ 0.75."""
    return _fuzzy(col, "地址 address", f"{col}__a", (0.9, 0.75))


def _prep_text(values: pl.Series, col: str) -> pl.DataFrame:
    v = values.cast(pl.Utf8).str.strip_chars()
    return pl.DataFrame({f"{col}__v": pl.select(pl.when(v != "").then(v)).to_series()})


def exact_comparison(col: str) -> cl.CustomComparison:
    """Any value: equal (term-frequency adjusted) or not."""
    v = f"{col}__v"
    return cl.CustomComparison(
        output_column_name=col,
        comparison_description=col,
        comparison_levels=[_null(v), _level(_eq(v), "相同 same", tf=v), _else()],
    )


def levenshtein_comparison(col: str) -> cl.CustomComparison:
    """Text: exact; edit distance ≤ 1; ≤ 2."""
    v = f"{col}__v"
    return cl.CustomComparison(
        output_column_name=col,
        comparison_description=col,
        comparison_levels=[
            _null(v),
            _level(_eq(v), "完全一致 exact", tf=v),
            cll.LevenshteinLevel(v, 1),
            cll.LevenshteinLevel(v, 2),
            _else(),
        ],
    )


def jaro_winkler_comparison(col: str) -> cl.CustomComparison:
    """Text: exact; Jaro-Winkler ≥ 0.92; ≥ 0.8."""
    return _fuzzy(col, col, f"{col}__v", (0.92, 0.8))


CATALOGUE: dict[str, ComparisonType] = {
    t.name: t
    for t in (
        ComparisonType(
            "id_number",
            "身份证号",
            _prep_id,
            id_comparison,
            lambda c: {
                "id": f"{c}__id17",
                "id_pre": f"{c}__pre14",
                "id_tail": f"{c}__tail",
                "id_rs": f"{c}__rs",
            },
            lambda c: [],
        ),
        ComparisonType(
            "chinese_name",
            "中文姓名",
            _prep_name,
            name_comparison,
            lambda c: {"name": f"{c}__s", "name_py": f"{c}__py", "name_swap": f"{c}__swap"},
            lambda c: [f"{c}__s", f"{c}__py"],
        ),
        ComparisonType(
            "birth_date",
            "出生日期",
            _prep_date,
            date_comparison,
            lambda c: {"date": f"{c}__d", "year": f"{c}__y"},
            lambda c: [f"{c}__d"],
        ),
        ComparisonType(
            "date",
            "日期",
            _prep_date,
            date_comparison,
            lambda c: {"date": f"{c}__d", "year": f"{c}__y"},
            lambda c: [f"{c}__d"],
        ),
        ComparisonType("sex", "性别", _prep_sex, sex_comparison, lambda c: {"sex": f"{c}__v"}, lambda c: []),
        ComparisonType(
            "division",
            "行政区划",
            _prep_division,
            division_comparison,
            lambda c: {
                "county": f"{c}__county",
                "prefecture": f"{c}__prefecture",
                "province": f"{c}__province",
            },
            lambda c: [],
        ),
        ComparisonType(
            "address",
            "地址",
            _prep_address,
            address_comparison,
            lambda c: {"address": f"{c}__a"},
            lambda c: [],
        ),
        ComparisonType(
            "exact",
            "精确",
            _prep_text,
            exact_comparison,
            lambda c: {"exact": f"{c}__v"},
            lambda c: [f"{c}__v"],
        ),
        ComparisonType(
            "levenshtein",
            "编辑距离",
            _prep_text,
            levenshtein_comparison,
            lambda c: {"text": f"{c}__v"},
            lambda c: [f"{c}__v"],
        ),
        ComparisonType(
            "jaro_winkler",
            "Jaro-Winkler",
            _prep_text,
            jaro_winkler_comparison,
            lambda c: {"text": f"{c}__v"},
            lambda c: [],
        ),
    )
}
