"""Columnar feature preparation before Splink: identity numbers, Chinese names, dates, divisions, addresses.

Expensive conversions (OpenCC, pypinyin, division successors) run on distinct values only, then are
joined back, so the cost follows the number of distinct names, not rows.
"""

from __future__ import annotations

from functools import lru_cache

import polars as pl

from padis.standards.idnumber import check_ids, normalize_ids

# Surnames whose reading as a surname differs from pypinyin's common reading, and compound surnames.
SURNAME_READINGS: dict[str, str] = {
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "仇": "qiu",
    "区": "ou",
    "朴": "piao",
    "查": "zha",
    "盖": "ge",
    "尉迟": "yuchi",
    "万俟": "moqi",
    "长孙": "zhangsun",
    "乐": "yue",
    "缪": "miao",
    "翟": "zhai",
    "员": "yun",
    "繁": "po",
    "那": "na",
    "种": "chong",
    "黑": "he",
    "秘": "bi",
    "覃": "qin",
    "尉": "yu",
    "召": "shao",
    "佴": "nai",
    "宓": "mi",
    "冼": "xian",
    "折": "she",
    "祭": "zhai",
    "燕": "yan",
    "能": "nai",
    "隗": "wei",
    "洗": "xian",
    "过": "guo",
    "句": "gou",
    "澹台": "tantai",
    "令狐": "linghu",
    "单于": "chanyu",
    "东方": "dongfang",
    "上官": "shangguan",
    "欧阳": "ouyang",
    "司马": "sima",
    "诸葛": "zhuge",
    "皇甫": "huangfu",
    "公孙": "gongsun",
    "慕容": "murong",
    "司徒": "situ",
    "夏侯": "xiahou",
    "宇文": "yuwen",
    "呼延": "huyan",
    "端木": "duanmu",
    "独孤": "dugu",
    "南宫": "nangong",
    "闻人": "wenren",
    "轩辕": "xuanyuan",
    "西门": "ximen",
    "申屠": "shentu",
    "太史": "taishi",
    "公冶": "gongye",
    "赫连": "helian",
    "百里": "baili",
    "钟离": "zhongli",
    "宗政": "zongzheng",
    "濮阳": "puyang",
    "公羊": "gongyang",
    "羊舌": "yangshe",
    "司空": "sikong",
    "亓官": "qiguan",
    "司寇": "sikou",
    "子车": "ziju",
    "颛孙": "zhuansun",
    "拓跋": "tuoba",
    "第五": "diwu",
    "梁丘": "liangqiu",
    "左丘": "zuoqiu",
}
COMPOUND_SURNAMES: frozenset[str] = frozenset(k for k in SURNAME_READINGS if len(k) == 2)


@lru_cache(maxsize=1)
def _t2s():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(values: list[str]) -> list[str]:
    """Fold traditional characters to simplified (OpenCC t2s) for a list of distinct strings."""
    if not values:
        return []
    # One call on the joined text is much faster than one call per value; names hold no newline.
    converted = _t2s().convert("\n".join(values)).split("\n")
    if len(converted) != len(values):  # pragma: no cover - a value held a newline after cleaning
        return [_t2s().convert(v) for v in values]
    return converted


def char_pinyin(chars: list[str]) -> dict[str, str]:
    """Toneless pinyin of each single character (common reading)."""
    from pypinyin import Style, lazy_pinyin

    out: dict[str, str] = {}
    for ch in chars:
        reading = lazy_pinyin(ch, style=Style.NORMAL, errors="default")
        out[ch] = (reading[0] if reading else ch).lower()
    return out


def _swap_expr() -> pl.Expr:
    """The name with its two parts in the other order.

    Names written with a separator (维吾尔族 帕提古丽·艾山) swap at the separator; four-character
    names without a compound surname (藏族 次仁贡布) swap halves; others put the given name first.
    """
    dotted = pl.col("_raw").str.contains(r"[·•.．]")
    parts = pl.col("_raw").str.replace_all(r"[\s\u3000]", "").str.replace_all(r"[•.．]", "·").str.split("·")
    halves = pl.col("s").str.slice(2, 2) + pl.col("s").str.slice(0, 2)
    four = (pl.col("s").str.len_chars() == 4) & (pl.col("surname").str.len_chars() == 1)
    return (
        pl.when(dotted)
        .then(parts.list.reverse().list.join(""))
        .when(four)
        .then(halves)
        .when(pl.col("given") != "")
        .then(pl.col("given") + pl.col("surname"))
    )


def name_features(names: pl.Series) -> pl.DataFrame:
    """Per name: simplified form, surname, given name, swapped order and pinyin (surname readings applied)."""
    distinct = names.drop_nulls().unique()
    cleaned = distinct.str.replace_all(r"[\s·•.．\u3000]", "").str.replace_all(r"[（(].*?[)）]", "")
    simple = pl.Series(to_simplified(cleaned.to_list()), dtype=pl.Utf8)
    frame = pl.DataFrame({"_raw": distinct, "s": simple}).with_columns(
        pl.when(pl.col("s") == "").then(None).otherwise(pl.col("s")).alias("s")
    )
    two = pl.col("s").str.slice(0, 2)
    frame = frame.with_columns(
        pl.when(two.is_in(list(COMPOUND_SURNAMES)) & (pl.col("s").str.len_chars() > 2))
        .then(two)
        .otherwise(pl.col("s").str.slice(0, 1))
        .alias("surname")
    ).with_columns(pl.col("s").str.slice(pl.col("surname").str.len_chars()).alias("given"))
    chars = frame.select(pl.col("s").str.split("").explode().unique().drop_nulls()).to_series().to_list()
    mapping = char_pinyin([c for c in chars if c])
    surname_py = pl.col("surname").replace_strict(
        SURNAME_READINGS,
        default=pl.col("surname")
        .str.split("")
        .list.eval(pl.element().replace_strict(mapping, default=pl.element()))
        .list.join(""),
    )
    given_py = (
        pl.col("given")
        .str.split("")
        .list.eval(pl.element().replace_strict(mapping, default=pl.element()))
        .list.join("")
    )
    frame = frame.with_columns(
        (surname_py + given_py).alias("py"),
        _swap_expr().alias("swap"),
    )
    return frame.select(
        pl.col("_raw"),
        pl.col("s"),
        pl.col("surname"),
        pl.when(pl.col("given") != "").then(pl.col("given")).alias("given"),
        pl.col("py"),
        pl.col("swap"),
    )


# For linking, a number whose check character and birth date hold is a strong identifier even when
# its region code is missing from the division table (codes older than the table, test data).
_LINKABLE_ERRORS = ("future_birth_date", "unknown_region")


def _linkable(checks: pl.DataFrame) -> pl.Series:
    """Valid, or failing only on the region table / today's date (structure and checksum right)."""
    return checks["valid"] | checks["error"].is_in(_LINKABLE_ERRORS).fill_null(False)


def id_features(values: pl.Series) -> pl.DataFrame:
    """ID features: 18-digit form (15 → 18), body without check char, validity, original length.

    The checks and the 15 → 18 conversion are ``padis.standards.idnumber``'s (one implementation); the
    18-digit form is kept for invalid numbers too, so a mistyped digit still compares as near.
    """
    raw = values.cast(pl.Utf8).str.replace_all(r"[\s-]", "").str.to_uppercase()
    raw = pl.select(pl.when(raw != "").then(raw)).to_series().rename("raw")
    length = raw.str.len_chars()
    is15 = raw.str.contains(r"^\d{15}$").fill_null(False)
    frame = pl.DataFrame(
        {
            "raw": raw,
            "work": normalize_ids(raw),
            "valid": _linkable(check_ids(raw)),
            "len": length.cast(pl.Int32),
            "is15": is15,
        }
    )
    frame = frame.with_columns(
        pl.when(pl.col("is15"))
        .then(pl.col("work"))
        .when(pl.col("len") == 18)
        .then(pl.col("raw"))
        .alias("id18")
    ).with_columns(pl.col("id18").str.head(17).alias("id17"))
    digits = pl.col("id17").str.contains(r"^\d{17}$")
    return frame.select(
        "id18",
        "id17",
        pl.col("valid").fill_null(False),
        "len",
        pl.when(digits)
        .then(
            pl.col("id17").str.slice(6, 4)
            + "-"
            + pl.col("id17").str.slice(10, 2)
            + "-"
            + pl.col("id17").str.slice(12, 2)
        )
        .alias("birth"),
    )


_DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")


def date_strings(values: pl.Series) -> pl.Series:
    """Dates as ``YYYY-MM-DD`` text (accepts date type or common text forms); unparseable → null."""
    if values.dtype in (pl.Date, pl.Datetime):
        return values.cast(pl.Date).dt.strftime("%Y-%m-%d")
    text = values.cast(pl.Utf8).str.strip_chars()
    parsed = pl.select(pl.coalesce([text.str.to_date(f, strict=False) for f in _DATE_FORMATS])).to_series()
    # Keep day/month swapped or impossible dates comparable field by field: fall back to digit groups.
    digits = text.str.replace_all(r"\D", "")
    fallback = pl.select(
        pl.when(digits.str.len_chars() == 8).then(
            digits.str.slice(0, 4) + "-" + digits.str.slice(4, 2) + "-" + digits.str.slice(6, 2)
        )
    ).to_series()
    return pl.select(pl.coalesce([parsed.dt.strftime("%Y-%m-%d"), fallback])).to_series()


def division_features(values: pl.Series) -> pl.DataFrame:
    """County (current successor), prefecture and province codes of GB/T 2260 division codes."""
    code = values.cast(pl.Utf8).str.replace_all(r"\D", "").str.slice(0, 6)
    code = pl.select(pl.when(code.str.len_chars() == 6).then(code)).to_series()
    distinct = code.drop_nulls().unique().to_list()
    current = _current_codes(distinct)
    table = pl.DataFrame(
        {"code": distinct, "cur": [current.get(c, c) for c in distinct]},
        schema={"code": pl.Utf8, "cur": pl.Utf8},
    )
    frame = pl.DataFrame({"code": code}).join(table, on="code", how="left", maintain_order="left")
    return frame.select(
        pl.col("cur").alias("county"),
        (pl.col("cur").str.slice(0, 4) + "00").alias("prefecture"),
        (pl.col("cur").str.slice(0, 2) + "0000").alias("province"),
    )


def _current_codes(codes: list[str]) -> dict[str, str]:
    """Map each code to the code valid now (successor), via padis.standards when it is available."""
    try:
        from padis.standards.divisions import get_divisions

        registry = get_divisions()
    except Exception:  # noqa: BLE001 - standards not ready: codes stay as given
        return {}
    out: dict[str, str] = {}
    for c in codes:
        try:
            cur = registry.current(c)
        except Exception:  # noqa: BLE001 - unknown code stays as given
            continue
        if isinstance(cur, (list, tuple, set, frozenset)):
            cur = sorted(cur)[0] if cur else c
        if cur:
            out[c] = str(cur)
    return out


def address_text(values: pl.Series) -> pl.Series:
    """Address text without blanks and punctuation, traditional folded to simplified."""
    cleaned = values.cast(pl.Utf8).str.replace_all(r"[\s,，。、·#\-—()（）]", "")
    distinct = cleaned.drop_nulls().unique()
    table = pl.DataFrame({"a": distinct, "s": pl.Series(to_simplified(distinct.to_list()), dtype=pl.Utf8)})
    out = pl.DataFrame({"a": cleaned}).join(table, on="a", how="left", maintain_order="left")["s"]
    return pl.select(pl.when(out != "").then(out)).to_series()
