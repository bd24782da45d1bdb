"""Checking a batch part by part, so each part can be stored while the next one is validated."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import polars as pl

from padis.collect.mapping import Mapping
from padis.collect.records import build_quarantine, build_records, reason_counts
from padis.collect.validate import WARNINGS, mark_first_keys, validate

PART_ROWS = 100_000
# Equal on every record of a batch: taken from the batch row and sent once as constants, not per row.
SHARED_COLUMNS = ("agency", "record_type", "file_hash", "received_at")


@dataclass(frozen=True)
class CheckedPart:
    """One validated part of a batch: its source records, its quarantine rows and their tallies."""

    records: pl.DataFrame
    quarantine: pl.DataFrame
    by_reason: dict[str, int]
    warned: int
    seconds: float


@dataclass
class Tally:
    """What the parts of a batch added up to."""

    stored: int = 0
    quarantined: int = 0
    warned: int = 0
    by_reason: Counter[str] = field(default_factory=Counter)
    validate_seconds: float = 0.0

    def add(self, part: CheckedPart) -> None:
        """Count one part in."""
        self.stored += part.records.height
        self.quarantined += part.quarantine.height
        self.warned += part.warned
        self.by_reason.update(part.by_reason)
        self.validate_seconds += part.seconds

    def reasons(self) -> dict[str, int]:
        """Reason -> rows, most frequent first (ties by name)."""
        return dict(sorted(self.by_reason.items(), key=lambda kv: (-kv[1], kv[0])))


def check_parts(
    frame: pl.DataFrame,
    mapping: Mapping,
    *,
    received_at: dt.datetime,
    rows: int = PART_ROWS,
    scopes: tuple[str, ...] | None = None,
) -> Iterator[CheckedPart]:
    """Validate ``frame`` ``rows`` rows at a time (record keys checked unique across all of it).

    An empty frame still yields one (empty) part. ``scopes``: see :func:`validate`.
    """
    today = dt.date.today()  # one day for the whole batch, even across midnight
    marked = mark_first_keys(frame, mapping)
    for start in range(0, max(frame.height, 1), rows):
        began = time.perf_counter()
        source = frame.slice(start, rows)
        validated = validate(marked.slice(start, rows), mapping, today=today, scopes=scopes)
        records = build_records(validated, mapping)
        quarantine = build_quarantine(validated, source, mapping, created_at=received_at)
        if records.height + quarantine.height != source.height:  # pragma: no cover - an invariant
            raise RuntimeError("rows lost between validation and storage")
        yield CheckedPart(
            records=records,
            quarantine=quarantine,
            by_reason=reason_counts(validated),
            warned=int(validated.good.select(pl.col(WARNINGS).is_not_null().sum()).item()),
            seconds=time.perf_counter() - began,
        )
