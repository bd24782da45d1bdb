"""Reporting periods: calendar years, report years (1 Oct–30 Sep) and half-years (1 Oct–31 Mar).

Period codes:
- ``2020``  calendar year 2020-01-01 .. 2020-12-31
- ``2020R`` report year   2019-10-01 .. 2020-09-30 (the family-planning statistical year)
- ``2020H`` half-year     2019-10-01 .. 2020-03-31 (first half of report year 2020R)
A list is comma-separated (``2019,2020``) and a range ``2016-2020`` (or ``2016R-2020R``) expands by year.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from padis.errors import InputError

_CODE = re.compile(r"^(\d{4})([RH]?)$")
KIND_LABELS = {"": "自然年", "R": "统计年度（10月1日—9月30日）", "H": "半年（10月1日—3月31日）"}


@dataclass(frozen=True)
class Period:
    """One reporting period with inclusive start and end dates."""

    code: str
    start: dt.date
    end: dt.date

    @property
    def kind(self) -> str:
        """'' for calendar year, 'R' for report year, 'H' for half-year."""
        return self.code[4:]

    @property
    def year(self) -> int:
        """The year the period is named after (the year it ends in)."""
        return int(self.code[:4])

    @property
    def label(self) -> str:
        """Chinese label, e.g. ``2020年`` or ``2020统计年度``."""
        return {"": f"{self.year}年", "R": f"{self.year}统计年度", "H": f"{self.year}上半统计年度"}[self.kind]

    @property
    def days(self) -> int:
        """Length of the period in days."""
        return (self.end - self.start).days + 1


def parse_period(code: str) -> Period:
    """Parse one period code such as ``2020``, ``2020R`` or ``2020H``."""
    text = str(code).strip().upper()
    match = _CODE.match(text)
    if not match:
        raise InputError(f"unknown period code {code!r}", where="--period",
                         why="use 2020 (calendar year), 2020R (report year) or 2020H (half-year)")
    year, kind = int(match.group(1)), match.group(2)
    if not 1900 <= year <= 2200:
        raise InputError(f"period year {year} out of range", where="--period", why="years 1900–2200")
    if kind == "":
        return Period(text, dt.date(year, 1, 1), dt.date(year, 12, 31))
    if kind == "R":
        return Period(text, dt.date(year - 1, 10, 1), dt.date(year, 9, 30))
    return Period(text, dt.date(year - 1, 10, 1), dt.date(year, 3, 31))


def parse_periods(spec: str) -> list[Period]:
    """Parse a comma-separated list of period codes and ranges (``2016-2020``, ``2019R-2020R``)."""
    out: list[Period] = []
    for part in str(spec).split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            lo, hi = (p.strip() for p in part.split("-", 1))
            a, b = parse_period(lo), parse_period(hi)
            if a.kind != b.kind or a.year > b.year:
                raise InputError(f"bad period range {part!r}", where="--period",
                                 why="both ends must be of the same kind, first before last")
            out.extend(parse_period(f"{y}{a.kind}") for y in range(a.year, b.year + 1))
        else:
            out.append(parse_period(part))
    if not out:
        raise InputError("no period given", where="--period", why="e.g. 2020, 2020R, 2020H or 2016-2020")
    return list(dict.fromkeys(out))
