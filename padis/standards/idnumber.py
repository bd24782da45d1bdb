"""GB 11643-1999 citizen identity numbers: check, parse, convert 15 → 18 digits, mask.

Rules (the scalar ``check_id`` and the columnar ``check_ids`` apply the same ones, in this order;
the first failing rule is the row's ``error``):

1. ``empty``: null, or only whitespace. Surrounding Unicode whitespace (including the full-width
   space U+3000 and the no-break space U+00A0) is ignored everywhere.
2. ``bad_length``: not 15 or 18 characters.
3. ``bad_chars``: 18 characters that are not 17 ASCII digits and a digit or ``X``; 15 characters
   that are not all ASCII digits. A lower-case ``x`` check character is accepted and normalized
   to ``X`` (it is the same character written carelessly, as python-stdnum also accepts).
4. ``bad_checksum``: the ISO 7064 MOD 11-2 check character does not match (18 digits only;
   15-digit numbers have none).
5. ``bad_birth_date``: the birth date is not a real calendar date, or is before 1800-01-01.
   15-digit numbers carry a two-digit year, read as 19YY (they were issued 1984–1999).
6. ``future_birth_date``: the birth date is after ``today`` (default: the current date).
7. ``unknown_region``: the six-digit address code never existed in the GB/T 2260 division
   history (``padis.standards.divisions``).

A number that passes is ``valid``; then ``normalized`` holds its 18-digit upper-case form (a good
15-digit number is valid and normalized by :func:`to_18`), and ``region_code``, ``birth_date`` and
``sex`` (GB/T 2261.1: ``'1'`` male for an odd sequence number, ``'2'`` female for an even one) are
filled. For invalid numbers those fields are null: parts of a wrong number are not trusted.

Warnings never make a number invalid (the address code is the one in force where the person was
*registered*, which can be later than the birth):

- ``region_not_yet_valid``: the birth year is before the code's first year of validity (or falls
  in a gap between two periods in which the code was in use).
- ``region_abolished_before_birth``: the birth year is after the code was last in use. Such numbers
  exist (offices kept issuing old codes for a while, and the history data is coarse), so they are
  valid but flagged for review.

Where python-stdnum's ``stdnum.cn.ric.is_valid`` answers differently (checked on 120,000 numbers
by tests/standards/test_idnumber_crosscheck.py; no other difference is allowed):
a good 15-digit number (stdnum: no 15-digit support); either warning above (stdnum rejects the
number); a code whose loc.dat span reads ``[1983-1982]`` with birth year 1982 (padis.standards.
divisions reads it as 1982, stdnum never matches it); a future birth date or a year before 1800
(stdnum accepts both); full-width digits and other look-alikes (stdnum maps them to ASCII, padis
reports ``bad_chars`` so the source gets fixed). stdnum also raises ``KeyError`` for an unknown
county under a known province, where padis reports ``unknown_region``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import polars as pl
import pyarrow as pa

from padis.standards.idnumber_regions import get_region_lookup

ERRORS: dict[str, str] = {
    "empty": "号码为空",
    "bad_length": "长度不是15位或18位",
    "bad_chars": "含有非法字符",
    "bad_checksum": "校验码错误",
    "bad_birth_date": "出生日期无效",
    "future_birth_date": "出生日期晚于今天",
    "unknown_region": "地址码不存在",
}
WARNINGS: dict[str, str] = {
    "region_not_yet_valid": "出生年份早于地址码启用年份",
    "region_abolished_before_birth": "出生年份晚于地址码撤销年份",
}
MIN_BIRTH_YEAR = 1800
# Unicode White_Space: what polars' ``strip_chars()`` removes (Python's ``str.isspace`` adds \x1c-\x1f).
STRIP_CHARS = (
    "\t\n\v\f\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
)
_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_CHARS_RE = r"^(?:[0-9]{17}[0-9Xx]|[0-9]{15})$"
_CHARS = re.compile(_CHARS_RE)
_SCHEMA = {
    "input": pl.String,
    "valid": pl.Boolean,
    "error": pl.String,
    "warning": pl.String,
    "normalized": pl.String,
    "region_code": pl.String,
    "birth_date": pl.Date,
    "sex": pl.String,
}
_WARNING_OF_STATUS = {"not_yet_valid": "region_not_yet_valid", "abolished": "region_abolished_before_birth"}


@dataclass(frozen=True)
class IdCheck:
    """The verdict on one identity number."""

    input: str | None
    valid: bool
    error: str | None = None
    warning: str | None = None
    normalized: str | None = None
    region_code: str | None = None
    birth_date: dt.date | None = None
    sex: str | None = None

    def as_dict(self) -> dict[str, object]:
        """The fields as a plain dict (the same keys as the columns of :func:`check_ids`)."""
        return asdict(self)


def check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("check_char needs exactly 17 ASCII digits")
    total = sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def to_18(id15: str) -> str:
    """Convert a 15-digit number to 18 digits: insert the century ``19`` and append the check character."""
    id15 = id15.strip(STRIP_CHARS)
    if len(id15) != 15 or not id15.isascii() or not id15.isdigit():
        raise ValueError("to_18 needs exactly 15 ASCII digits")
    body = id15[:6] + "19" + id15[6:]
    return body + check_char(body)


def make_id(region_code: str, birth_date: dt.date, sequence: int) -> str:
    """Build an 18-digit number from its parts (``sequence`` 0–999; odd for men, even for women)."""
    if len(region_code) != 6 or not region_code.isdigit():
        raise ValueError("region_code must be 6 digits")
    if not 0 <= sequence <= 999:
        raise ValueError("sequence must be 0..999")
    body = f"{region_code}{birth_date:%Y%m%d}{sequence:03d}"
    if len(body) != 17:
        raise ValueError("birth year must have four digits")
    return body + check_char(body)


def mask_id(value: str | None) -> str:
    """Mask a number for logs: keep the address code and the last four characters (``110105********123X``)."""
    if value is None:
        return ""
    text = str(value).strip(STRIP_CHARS)
    if len(text) <= 10:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 10) + text[-4:]


def _today(today: dt.date | None) -> dt.date:
    return today if today is not None else dt.date.today()


def check_id(value: str | None, *, today: dt.date | None = None) -> IdCheck:
    """Check and parse one identity number (15 or 18 digits)."""
    text = None if value is None else str(value).strip(STRIP_CHARS)
    if not text:
        return IdCheck(value, False, "empty")
    if len(text) not in (15, 18):
        return IdCheck(value, False, "bad_length")
    if _CHARS.match(text) is None:
        return IdCheck(value, False, "bad_chars")
    if len(text) == 18:
        number = text[:17] + text[17].upper()
        if check_char(number[:17]) != number[17]:
            return IdCheck(value, False, "bad_checksum")
    else:
        number = to_18(text)
    year, month, day = int(number[6:10]), int(number[10:12]), int(number[12:14])
    try:
        birth = dt.date(year, month, day)
    except ValueError:
        birth = None
    if birth is None or year < MIN_BIRTH_YEAR:
        return IdCheck(value, False, "bad_birth_date")
    if birth > _today(today):
        return IdCheck(value, False, "future_birth_date")
    region = number[:6]
    status = get_region_lookup().year_status(region, year)
    if status == "unknown":
        return IdCheck(value, False, "unknown_region")
    sex = "1" if int(number[16]) % 2 else "2"
    return IdCheck(value, True, None, _WARNING_OF_STATUS.get(status or ""), number, region, birth, sex)


def _as_series(values: pl.Series | pa.Array | pa.ChunkedArray | Iterable[str | None]) -> pl.Series:
    if isinstance(values, pl.Series):
        series = values
    elif isinstance(values, pa.Array | pa.ChunkedArray):
        series = pl.Series(pl.from_arrow(values))
    else:
        series = pl.Series(list(values), dtype=pl.String, strict=False)
    if series.dtype != pl.String:
        series = series.cast(pl.String)
    return series.rename("input")


def _check_char_expr(s13: pl.Expr) -> pl.Expr:
    """Check value 0..10 from the 17 digits read in base 13 (13 ≡ 2 mod 11: the GB weighted sum)."""
    return (1 - 2 * (s13 % 11)) % 11


def check_ids(
    values: pl.Series | pa.Array | pa.ChunkedArray | Iterable[str | None], *, today: dt.date | None = None
) -> pl.DataFrame:
    """Check and parse a column of identity numbers; one result row per input row, in order."""
    lookup = get_region_lookup()
    frame = pl.DataFrame(_as_series(values)).with_columns(_t=pl.col("input").str.strip_chars())
    frame = frame.with_columns(
        _len=pl.col("_t").str.len_chars().fill_null(0), _chars_ok=pl.col("_t").str.contains(_CHARS_RE)
    )
    frame = frame.with_columns(_w=_work_column(frame)).lazy()
    w = pl.col("_w")
    frame = frame.with_columns(_h17=w.str.head(17)).with_columns(
        _n17=pl.col("_h17").str.to_integer(strict=False),
        _expected=_check_char_expr(pl.col("_h17").str.to_integer(base=13, strict=False)),
        # base 36 reads both 'X' and 'x' as 33; a check value of 10 is written X.
        _last=w.str.slice(17, 1).str.to_integer(base=36, strict=False),
    )
    n17 = pl.col("_n17")
    frame = frame.with_columns(
        _code_int=n17 // 100_000_000_000,
        _y=(n17 // 10_000_000 % 10_000).cast(pl.Int32),
        _m=(n17 // 100_000 % 100).cast(pl.Int32),
        _d=(n17 // 1000 % 100).cast(pl.Int32),
    )
    y, m, d = pl.col("_y"), pl.col("_m"), pl.col("_d")
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    month_days = (
        pl.when(m == 2)
        .then(pl.when(leap).then(29).otherwise(28))
        .when(m.is_in([4, 6, 9, 11]))
        .then(30)
        .otherwise(31)
    )
    frame = frame.with_columns(
        _sum_ok=pl.when(pl.col("_expected") == 10).then(33).otherwise(pl.col("_expected")) == pl.col("_last"),
        _date_ok=(y >= MIN_BIRTH_YEAR) & m.is_between(1, 12) & d.is_between(1, month_days),
    )
    frame = frame.with_columns(
        _birth=pl.when(pl.col("_date_ok")).then(_days_from_civil(y, m, d).cast(pl.Date))
    ).join(
        lookup.frame.lazy().select("code_int", "first_year", "last_year").rename({"code_int": "_code_int"}),
        on="_code_int",
        how="left",
        maintain_order="left",
    )
    # The rules apply in order, so the number of leading rules passed indexes the error (7 = valid).
    passed = [
        pl.col("_len") > 0,
        pl.col("_len").is_in([15, 18]),
        pl.col("_chars_ok"),
        pl.col("_sum_ok"),
        pl.col("_date_ok"),
        pl.col("_birth") <= pl.lit(_today(today)),
        pl.col("first_year").is_not_null(),
    ]
    cumulative, so_far = [], pl.lit(True)
    for rule in passed:
        so_far = so_far & rule.fill_null(False)
        cumulative.append(so_far.cast(pl.UInt8))
    frame = frame.with_columns(_rank=pl.sum_horizontal(cumulative))
    gap_keys = pl.Series(sorted(lookup.gap_keys), dtype=pl.Int64)
    # Warning index: 0 none, 1 not yet valid, 2 abolished (only for valid numbers).
    warning_rank = (
        pl.when(pl.col("_rank") < len(ERRORS))
        .then(0)
        .when((y < pl.col("first_year")) | (pl.col("_code_int") * 10_000 + y).is_in(gap_keys.implode()))
        .then(1)
        .when(y > pl.col("last_year"))
        .then(2)
        .otherwise(0)
    )
    valid = pl.col("_rank") == len(ERRORS)
    return (
        frame.select(
            "input",
            valid.alias("valid"),
            pl.lit(pl.Series([*ERRORS, None], dtype=pl.String)).gather(pl.col("_rank")).alias("error"),
            pl.lit(pl.Series([None, *WARNINGS], dtype=pl.String)).gather(warning_rank).alias("warning"),
            pl.when(valid).then(w).alias("normalized"),
            pl.when(valid).then(pl.col("_code_int").cast(pl.String)).alias("region_code"),
            pl.when(valid).then(pl.col("_birth")).alias("birth_date"),
            pl.lit(pl.Series([None, "2", "1"], dtype=pl.String))
            .gather(pl.when(valid).then(n17 % 2 + 1).otherwise(0))
            .alias("sex"),
        )
        .cast(_SCHEMA)
        .collect()
    )  # type: ignore[arg-type]


def normalize_ids(values: pl.Series | pa.Array | pa.ChunkedArray | Iterable[str | None]) -> pl.Series:
    """Columnar 18-digit form of every number (valid or not): stripped, 15 → 18 digits, ``x`` → ``X``.

    Unlike ``check_ids(...)["normalized"]`` this keeps invalid numbers (a typo'd digit still links);
    values of the wrong length or characters come back stripped but otherwise as given.
    """
    frame = pl.DataFrame(_as_series(values)).with_columns(_t=pl.col("input").str.strip_chars())
    frame = frame.with_columns(
        _len=pl.col("_t").str.len_chars().fill_null(0), _chars_ok=pl.col("_t").str.contains(_CHARS_RE)
    )
    return _work_column(frame).rename("normalized")


def complete_ids(bodies: pl.Series) -> pl.Series:
    """Columnar :func:`check_char`: 17-digit bodies with their check character appended (else null)."""
    body = pl.col("b")
    value = _check_char_expr(body.str.to_integer(base=13, strict=False))
    digit = pl.when(value == 10).then(pl.lit("X")).otherwise(value.cast(pl.String))
    out = pl.DataFrame({"b": bodies.cast(pl.String)}).select(
        pl.when(body.str.contains(r"^[0-9]{17}$")).then(body + digit).alias("id_number")
    )
    return out.to_series()


def _work_column(frame: pl.DataFrame) -> pl.Series:
    """The stripped numbers with 15-digit ones converted to 18 and a lower-case ``x`` upper-cased.

    Only the (usually few) rows that need it are rewritten, so clean batches pay nothing for it.
    """
    work = frame["_t"]
    is15 = (frame["_len"] == 15) & frame["_chars_ok"]
    lower_x = work.str.ends_with("x").fill_null(False) & frame["_chars_ok"]
    fix = (is15 | lower_x).arg_true()
    if fix.len() == 0:
        return work.rename("_w")
    old = work.gather(fix)
    body = old.str.head(6) + "19" + old.str.slice(6, 9)
    value = _check_char_expr(pl.lit(body).str.to_integer(base=13, strict=False))
    converted = pl.lit(body) + pl.when(value == 10).then(pl.lit("X")).otherwise(value.cast(pl.String))
    upper = pl.lit(old.str.to_uppercase())
    fixed = pl.select(pl.when(pl.lit(is15.gather(fix))).then(converted).otherwise(upper)).to_series()
    return work.scatter(fix, fixed).rename("_w")


def _days_from_civil(y: pl.Expr, m: pl.Expr, d: pl.Expr) -> pl.Expr:
    """Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm; integer ops only)."""
    yy = y - (m <= 2).cast(pl.Int32)
    era = yy // 400
    yoe = yy - era * 400
    doy = (153 * (m + pl.when(m > 2).then(-3).otherwise(9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 719_468


def summarize(results: pl.DataFrame) -> dict[str, int]:
    """Counts of a result frame: ``rows``, ``valid``, ``invalid``, and one per error and warning code."""
    counts = {"rows": results.height, "valid": int(results["valid"].sum()), "invalid": 0}
    counts["invalid"] = counts["rows"] - counts["valid"]
    for column in ("error", "warning"):
        for code, n in results[column].drop_nulls().value_counts(sort=True).iter_rows():
            counts[code] = int(n)
    return counts
