"""Benchmark: columnar identity-number checks (padis) against a loop of stdnum.cn.ric.is_valid, same numbers.

Usage: .venv/bin/python bench/bench_idnumber.py [--n 1000000] [--threads 1] [--repeat 5]
Targets: >= 2,000,000 IDs/s on one core and >= 50x the stdnum loop.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time


def main() -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="numbers to check")
    parser.add_argument("--threads", type=int, default=1, help="Polars threads (1 = one core)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of the columnar check")
    parser.add_argument("--corrupt", type=float, default=0.1, help="share of corrupted numbers")
    parser.add_argument("--scalar-n", type=int, default=100_000, help="numbers for the scalar check_id loop")
    args = parser.parse_args()
    os.environ["POLARS_MAX_THREADS"] = str(args.threads)  # must precede the first polars import

    import datetime as dt

    import polars as pl
    from stdnum.cn import ric

    from padis.standards.idnumber import check_id, check_ids
    from padis.standards.idnumber_samples import mixed_ids

    today = dt.date(2026, 12, 3)
    print(f"polars {pl.__version__}, threads={pl.thread_pool_size()}, n={args.n:,}, corrupt={args.corrupt}")
    t0 = time.perf_counter()
    values = mixed_ids(args.n, seed=7, corrupt_share=args.corrupt)
    series = pl.Series("id_number", values, dtype=pl.String)
    print(f"generated in {time.perf_counter() - t0:.1f} s")

    check_ids(series[:1000], today=today)  # load the division history once
    walls, cpus = [], []
    for _ in range(args.repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        result = check_ids(series, today=today)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    print(
        f"padis check_ids : median wall {wall:.3f} s = {args.n / wall:,.0f} IDs/s "
        f"(best {args.n / min(walls):,.0f}); median CPU {cpu:.3f} s = {args.n / cpu:,.0f} IDs/s per core "
        f"(best {args.n / min(cpus):,.0f}); valid {int(result['valid'].sum()):,}"
    )

    def stdnum_valid(value: str) -> bool:
        try:
            return ric.is_valid(value)
        except KeyError:  # stdnum raises for an unknown county under a known province
            return False

    c0, t0 = time.process_time(), time.perf_counter()
    stdnum_count = sum(stdnum_valid(v) for v in values)
    stdnum_wall, stdnum_cpu = time.perf_counter() - t0, time.process_time() - c0
    print(
        f"stdnum loop     : wall {stdnum_wall:.1f} s = {args.n / stdnum_wall:,.0f} IDs/s; "
        f"CPU {stdnum_cpu:.1f} s = {args.n / stdnum_cpu:,.0f} IDs/s; valid {stdnum_count:,}"
    )

    sample = values[: args.scalar_n]
    c0 = time.process_time()
    for value in sample:
        check_id(value, today=today)
    scalar_cpu = time.process_time() - c0
    print(f"padis check_id  : {len(sample) / scalar_cpu:,.0f} IDs/s CPU (scalar loop over {len(sample):,})")

    print(f"ratio columnar/stdnum: wall {stdnum_wall / wall:.0f}x, CPU {stdnum_cpu / cpu:.0f}x")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:,.0f} MiB")
    for label, ours, theirs in (("CPU", cpu, stdnum_cpu), ("wall", wall, stdnum_wall)):
        ok = args.n / ours >= 2_000_000 and theirs / ours >= 50
        print(f"targets by {label} time (>= 2,000,000 IDs/s, >= 50x stdnum):", "met" if ok else "NOT met")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
