"""Cross-check ``check_ids`` with python-stdnum's ``stdnum.cn.ric`` on 120,000 valid and corrupted numbers.

Every disagreement must fall under one of these documented rules (padis.standards.idnumber):

- ``fifteen_digit``: a good 15-digit number is valid in padis (normalized to 18 digits); stdnum
  has no 15-digit support.
- ``region_not_yet_valid``: the address code came into use after the birth year. The code is the
  one where the person was registered, so padis accepts with a warning; stdnum rejects.
- ``region_abolished_before_birth``: the birth year is after the code was last in use; padis
  accepts with a distinct warning; stdnum rejects.
- ``interim_1982_span``: loc.dat writes 14 names of the 1982 interim list as ``[1983-1982]``;
  padis.standards.divisions reads that as the year 1982, stdnum never matches it.
- ``future_birth_date``: padis rejects a birth date after today; stdnum has no such check.
- ``birth_before_1800``: padis rejects birth years before 1800; stdnum accepts any year.
- ``unicode_lookalikes``: stdnum maps full-width digits and other look-alikes to ASCII; padis
  reports ``bad_chars`` so the source gets fixed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from importlib import resources

import polars as pl
import pytest
from stdnum.cn import ric

from padis.standards.idnumber import STRIP_CHARS, check_ids
from padis.standards.idnumber_samples import mixed_ids

TODAY = dt.date(2026, 6, 1)
N = 120_000


def _interim_codes() -> set[str]:
    """Codes with a ``[1983-1982]`` span in stdnum's loc.dat."""
    text = resources.files("stdnum.cn").joinpath("loc.dat").read_text(encoding="utf-8")
    codes, province = set(), ""
    for line in text.splitlines():
        if match := re.match(r"^(\d{2}) province", line):
            province = match[1]
        elif (match := re.match(r"^ +(\d{4}) county=", line)) and "[1983-1982]" in line:
            codes.add(province + match[1])
    return codes


def _stdnum_valid(value: str) -> bool:
    try:
        return ric.is_valid(value)
    except KeyError:  # stdnum raises for an unknown county under a known province: a rejection
        return False


def explain(row: dict[str, object], stdnum_valid: bool, interim: set[str]) -> str | None:
    """The documented rule behind a disagreement, or None if it is unexplained."""
    text = str(row["input"] or "").strip(STRIP_CHARS)
    if row["valid"] and not stdnum_valid:
        if len(text) == 15:
            return "fifteen_digit"
        if row["warning"] in {"region_not_yet_valid", "region_abolished_before_birth"}:
            return str(row["warning"])
        birth = row["birth_date"]
        if row["region_code"] in interim and isinstance(birth, dt.date) and birth.year == 1982:
            return "interim_1982_span"
    if stdnum_valid and not row["valid"]:
        if row["error"] == "future_birth_date":
            return "future_birth_date"
        if row["error"] == "bad_birth_date" and text[6:10].isdigit() and int(text[6:10]) < 1800:
            return "birth_before_1800"
        if row["error"] == "bad_chars" and not text.isascii():
            return "unicode_lookalikes"
    return None


@pytest.mark.parametrize(
    "n",
    [
        5_000,
        # stdnum checks 5-25k numbers/s, so the full set takes 10-30 s here
        pytest.param(N, marks=pytest.mark.slow),
    ],
)
def test_every_disagreement_with_stdnum_is_explained(n: int) -> None:
    values = mixed_ids(n, seed=20261203 + n, corrupt_share=0.5)
    ours = check_ids(pl.Series(values), today=TODAY)
    theirs = [_stdnum_valid(v) for v in values]
    interim = _interim_codes()
    rules: Counter[str] = Counter()
    unexplained: list[str] = []
    for row, stdnum_valid in zip(ours.iter_rows(named=True), theirs, strict=True):
        if row["valid"] == stdnum_valid:
            rules["agree"] += 1
            continue
        rule = explain(row, stdnum_valid, interim)
        if rule is None:
            unexplained.append(f"{row['input']!r}: padis {row['error'] or 'valid'}, stdnum {stdnum_valid}")
        else:
            rules[rule] += 1
    assert unexplained == [], f"{len(unexplained)} unexplained, e.g. {unexplained[:5]}"
    assert rules["agree"] > n // 2
    # Both sides must have rejected plenty and accepted plenty, or the check proves little.
    assert 0.2 < sum(theirs) / n < 0.7
    assert {"fifteen_digit", "region_not_yet_valid", "future_birth_date", "birth_before_1800"} <= set(rules)
