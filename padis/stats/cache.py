"""The dashboard's data: the latest computed indicators, projections and comparisons, as Parquet files
under ``<PADIS_HOME>/stats``."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from padis.settings import get_settings
from padis.stats.divisions import LEVELS
from padis.stats.indicators import compute_all_levels
from padis.stats.periods import parse_periods
from padis.stats.projection import project_snapshot
from padis.stats.snapshot import Snapshot

DEFAULT_SCENARIOS = {"TFR 1.0": 1.0, "TFR 1.3": 1.3, "TFR 1.6": 1.6}


def cache_dir(home: Path | None = None) -> Path:
    """The folder of the dashboard cache."""
    return (home or get_settings().home) / "stats"


def latest_year(snapshot: Snapshot) -> int:
    """The last complete calendar year with births in the snapshot (else last year)."""
    dates = snapshot.births.get_column("birth_date").drop_nulls()
    if dates.len() == 0:
        return dt.date.today().year - 1
    last = dates.max()
    assert isinstance(last, dt.date)
    return last.year if last.month == 12 and last.day >= 25 else last.year - 1


def first_covered_year(snapshot: Snapshot) -> int | None:
    """The first year from which both births and deaths are recorded (a register starts somewhere).

    Before it a rate would read 0 for want of data, not for want of events: a register collected
    from 2022 knows the birth dates of people born in 2020 but none of that year's deaths.
    """
    firsts = [
        t.get_column(c).min() for t, c in ((snapshot.births, "birth_date"), (snapshot.deaths, "death_date"))
    ]
    known = [f.year for f in firsts if isinstance(f, dt.date)]
    return max(known) if len(known) == 2 else None


def default_periods(snapshot: Snapshot, years: int = 5) -> str:
    """The last ``years`` calendar years the data covers, plus the last one's report year and half-year."""
    y = latest_year(snapshot)
    first, covered = y - years + 1, first_covered_year(snapshot)
    if covered is not None:
        first = max(first, min(covered, y))
    return f"{first}-{y},{y}R,{y}H"


def refresh(
    snapshot: Snapshot,
    periods: str | None = None,
    *,
    home: Path | None = None,
    engine: str = "duckdb",
    projection_years: int = 30,
    source: str = "",
) -> Path:
    """Compute indicators at every level and the projection scenarios, and write the cache."""
    out = cache_dir(home)
    out.mkdir(parents=True, exist_ok=True)
    spec = periods or default_periods(snapshot)
    results = compute_all_levels(snapshot, parse_periods(spec), engine=engine)
    results.write_parquet(out / "indicators.parquet")
    base_year = (
        max(p.year for p in parse_periods(spec) if p.kind == "")
        if any(p.kind == "" for p in parse_periods(spec))
        else latest_year(snapshot)
    )
    proj = project_snapshot(snapshot, base_year, projection_years, DEFAULT_SCENARIOS)
    frames = [proj.totals(level=lvl).with_columns(pl.lit(lvl).alias("level")) for lvl in LEVELS]
    pl.concat(frames).write_parquet(out / "projection.parquet")
    meta = {
        "periods": [p.code for p in parse_periods(spec)],
        "base_year": base_year,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "source": source,
        "engine": engine,
    }
    (out / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    return out


def save_comparison(frame: pl.DataFrame, home: Path | None = None) -> Path:
    """Keep the latest comparison of each source for the dashboard."""
    out = cache_dir(home)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "compare.parquet"
    if path.exists():
        old = pl.read_parquet(path)
        sources = frame.get_column("source").unique().implode()
        frame = pl.concat([old.filter(~pl.col("source").is_in(sources)), frame], how="diagonal_relaxed")
    frame.write_parquet(path)
    return path


@dataclass
class Cache:
    """What the dashboard shows."""

    indicators: pl.DataFrame
    projection: pl.DataFrame | None
    comparison: pl.DataFrame | None
    meta: dict

    @property
    def periods(self) -> list[str]:
        """Period codes in the cache, calendar years first."""
        return list(self.meta.get("periods") or sorted(self.indicators.get_column("period").unique()))


def load(home: Path | None = None) -> Cache | None:
    """The cache, or None when nothing was computed yet."""
    d = cache_dir(home)
    path = d / "indicators.parquet"
    if not path.exists():
        return None
    meta_path = d / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
    proj = d / "projection.parquet"
    comp = d / "compare.parquet"
    return Cache(
        indicators=pl.read_parquet(path),
        projection=pl.read_parquet(proj) if proj.exists() else None,
        comparison=pl.read_parquet(comp) if comp.exists() else None,
        meta=meta,
    )
