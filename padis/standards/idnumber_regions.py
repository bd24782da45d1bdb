"""The address-code lookup behind identity-number checks: which six-digit codes existed, and when."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import polars as pl

# Years outside any real validity range, used for open ends so comparisons need no null handling.
OPEN_START = 0
OPEN_END = 9999


@dataclass(frozen=True)
class RegionLookup:
    """Per address code: first and last validity year, and the years inside gaps between its spans."""

    frame: pl.DataFrame  # code (str), code_int (i64), first_year (i32), last_year (i32)
    bounds: dict[str, tuple[int, int]]
    gap_keys: frozenset[int]  # code_int * 10_000 + year, for birth years that fall in a gap

    def year_status(self, code: str, year: int) -> str | None:
        """``None`` if known and valid in ``year``; else ``unknown``, ``not_yet_valid`` or ``abolished``."""
        bounds = self.bounds.get(code)
        if bounds is None:
            return "unknown"
        first, last = bounds
        if year < first or int(code) * 10_000 + year in self.gap_keys:
            return "not_yet_valid"
        if year > last:
            return "abolished"
        return None


def validity_frame() -> pl.DataFrame:
    """The division history ``[code, name, start_year, end_year]`` from padis.standards.divisions."""
    from padis.standards.divisions import get_divisions

    return get_divisions().validity_frame()


def _merge_spans(spans: list[tuple[int, int]]) -> tuple[int, int, list[int]]:
    """First year, last year and the uncovered years between the spans of one code."""
    spans = sorted(spans)
    gaps: list[int] = []
    reach = spans[0][1]
    for start, end in spans[1:]:
        if start > reach + 1:
            gaps.extend(range(reach + 1, start))
        reach = max(reach, end)
    return spans[0][0], reach, gaps


@lru_cache(maxsize=1)
def get_region_lookup() -> RegionLookup:
    """The address-code lookup, built once per process from the division history (with its overlays)."""
    history = validity_frame().select(
        pl.col("code").cast(pl.String),
        pl.col("start_year").cast(pl.Int32).fill_null(OPEN_START),
        pl.col("end_year").cast(pl.Int32).fill_null(OPEN_END),
    )
    history = history.filter(pl.col("code").str.contains(r"^[0-9]{6}$"))
    per_code: dict[str, list[tuple[int, int]]] = {}
    for code, start, end in history.iter_rows():
        per_code.setdefault(code, []).append((start, end))
    bounds: dict[str, tuple[int, int]] = {}
    gap_keys: set[int] = set()
    for code, spans in per_code.items():
        first, last, gaps = _merge_spans(spans)
        bounds[code] = (first, last)
        gap_keys.update(int(code) * 10_000 + year for year in gaps)
    frame = pl.DataFrame(
        {
            "code": list(bounds),
            "first_year": [b[0] for b in bounds.values()],
            "last_year": [b[1] for b in bounds.values()],
        },
        schema={"code": pl.String, "first_year": pl.Int32, "last_year": pl.Int32},
    ).with_columns(code_int=pl.col("code").cast(pl.Int64))
    return RegionLookup(frame=frame, bounds=bounds, gap_keys=frozenset(gap_keys))
