"""Benchmark: all standard indicators for a 10,000,000-person register by county × year (DuckDB, 2 threads),
and the cohort-component projection of every county for 30 years.

    .venv/bin/python bench/bench_stats.py [--persons 10000000] [--counties 2800] [--threads 2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import time

import numpy as np
import polars as pl

from padis.stats.engines import DuckDBBackend
from padis.stats.indicators import IndicatorEngine
from padis.stats.periods import parse_periods
from padis.stats.projection import Assumptions, default_fertility_shape, model_mortality, project
from padis.stats.snapshot import Snapshot


def synthetic_register(n: int, counties: int, seed: int = 1) -> Snapshot:
    """A columnar register of ``n`` persons in ``counties`` counties with 2016–2020 events."""
    rng = np.random.default_rng(seed)
    provinces = np.arange(11, 11 + max(1, counties // 90))
    npr = len(provinces)
    codes = np.array([f"{provinces[i % npr]:02d}{(i // npr) % 20 + 1:02d}{i % 90 + 1:02d}"
                      for i in range(counties)])
    county = codes[rng.integers(0, counties, n)]
    epoch = dt.date(1970, 1, 1)
    start, end = (dt.date(1925, 1, 1) - epoch).days, (dt.date(2020, 12, 31) - epoch).days
    birth = rng.integers(start, end, n)
    died = rng.random(n) < 0.04
    death = np.where(died, rng.integers(np.maximum(birth, (dt.date(2016, 1, 1) - epoch).days), end + 1), 0)
    persons = pl.DataFrame({
        "person_id": np.arange(1, n + 1, dtype=np.int64),
        "sex": np.where(rng.random(n) < 0.512, "1", "2"),
        "birth_date": birth.astype("datetime64[D]"),
        "death_date": death.astype("datetime64[D]"),
        "marital_status": rng.choice(["10", "20", "21", "30", "40"], n, p=[0.3, 0.5, 0.1, 0.06, 0.04]),
        "registered_division": county, "residence_division": county, "hukou_type": "1",
    }).with_columns(pl.when(pl.Series(died)).then(pl.col("death_date")).otherwise(None).alias("death_date"))
    recent = persons.filter(pl.col("birth_date") >= dt.date(2016, 1, 1))
    mothers = rng.integers(1, n + 1, recent.height)
    births = recent.select(pl.col("person_id").alias("child_id"), pl.Series("mother_id", mothers),
                           "birth_date", "sex", pl.Series("birth_order", rng.integers(1, 4, recent.height)),
                           pl.col("residence_division").alias("division"))
    deaths = persons.filter(pl.col("death_date").is_not_null()).select(
        "person_id", "death_date", pl.col("residence_division").alias("division"))
    k = n // 50
    movers = rng.integers(1, n + 1, k)
    moves = pl.DataFrame({
        "person_id": movers,
        "move_date": rng.integers((dt.date(2016, 1, 1) - epoch).days, end, k).astype("datetime64[D]"),
        "from_division": codes[rng.integers(0, counties, k)], "to_division": county[movers - 1]})
    women = persons.filter((pl.col("sex") == "2") & pl.col("marital_status").is_in(["20", "21"])).sample(
        fraction=0.6, seed=seed)
    contraception = women.select("person_id", pl.lit("IUD").alias("method"),
                                 pl.lit(dt.date(2015, 6, 1)).alias("as_of"))
    old = persons.filter(pl.col("birth_date") < dt.date(1960, 1, 1)).sample(fraction=0.05, seed=seed)
    assistance = pl.concat([
        old.select("person_id", pl.lit("reward").alias("kind"), pl.lit(y).alias("year"),
                   pl.col("registered_division").alias("division")) for y in range(2016, 2021)])
    return Snapshot.build(persons=persons, births=births, deaths=deaths, moves=moves,
                          contraception=contraception, assistance=assistance)


def cpu_s() -> float:
    """User + system CPU seconds of this process so far (all threads)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def peak_mib() -> float:
    """Peak resident memory of this process."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    """Run the benchmark and print its figures."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=10_000_000)
    ap.add_argument("--counties", type=int, default=2_800)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--years", default="2016-2020")
    args = ap.parse_args()

    t = time.perf_counter()
    snap = synthetic_register(args.persons, args.counties)
    print(f"register built: {snap.persons.height:,} persons, {snap.births.height:,} births, "
          f"{snap.deaths.height:,} deaths, {snap.moves.height:,} moves in {time.perf_counter() - t:.1f} s")

    periods = parse_periods(args.years)
    t, c = time.perf_counter(), cpu_s()
    engine = IndicatorEngine(snap, DuckDBBackend(threads=args.threads))
    res = engine.compute(periods, level="county")
    took, cpu = time.perf_counter() - t, cpu_s() - c
    n_ind = res.get_column("indicator").n_unique()
    print(f"indicators: {n_ind} indicators × {res.get_column('ref_area').n_unique():,} counties × "
          f"{len(periods)} years = {res.height:,} rows in {took:.2f} s "
          f"({args.persons / took:,.0f} persons/s, {args.threads} threads); CPU {cpu:.1f} s "
          f"= {cpu / args.threads:.1f} s of wall on {args.threads} idle cores")
    with open("/proc/loadavg") as f:
        print(f"load average during the run: {f.read().split()[0]} (other processes share these cores)")
    t = time.perf_counter()
    for level in ("prefecture", "province"):
        engine.compute(periods, level=level)
    print(f"roll-up to prefecture and province (cubes reused): {time.perf_counter() - t:.2f} s")
    engine.close()

    counties = args.counties
    rng = np.random.default_rng(2)
    base = rng.integers(0, 60, size=(counties, 101, 2)).astype(float)
    a = Assumptions(fertility=default_fertility_shape() * 1.3, mortality=model_mortality())
    t, c = time.perf_counter(), cpu_s()
    for tfr in (1.0, 1.3, 1.6):
        project(base, 30, a.with_tfr(tfr))
    took, cpu = time.perf_counter() - t, cpu_s() - c
    print(f"projection: {counties:,} counties × 101 ages × 2 sexes × 30 years × 3 scenarios in {took:.2f} s "
          f"(CPU {cpu:.2f} s)")
    print(f"peak memory: {peak_mib():,.0f} MiB")


if __name__ == "__main__":
    main()
