"""Benchmark: padis synth — persons, years of events and all extracts; time per stage and peak memory.

Run: .venv/bin/python bench/bench_synth.py --persons 1000000 --years 2021-2025
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

from padis.synth.generate import SynthConfig, generate, parse_provinces, parse_years


def main() -> None:
    """Generate once and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--years", default="2021-2025")
    parser.add_argument("--provinces", default="11,13,41,44")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--format", default="parquet")
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.out) if args.out else Path(tmp) / "synth"
        config = SynthConfig(
            out=out,
            persons=args.persons,
            provinces=parse_provinces(args.provinces),
            years=parse_years(args.years),
            seed=args.seed,
            fmt=args.format,
        )
        load = os.getloadavg()[0]
        start, start_cpu = time.perf_counter(), time.process_time()
        result = generate(config)
        total, total_cpu = time.perf_counter() - start, time.process_time() - start_cpu
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    rows = sum(result.row_counts.values())
    print(
        f"persons {args.persons:,} ({result.persons:,} with births), years {args.years}, "
        f"provinces {args.provinces}, format {args.format}"
    )
    print(f"  {'stage':<15} {'wall':>8} {'cpu':>8}")
    for stage, seconds in result.timings.items():
        print(f"  {stage:<15} {seconds:7.2f}s {result.cpu_timings.get(stage, 0):7.2f}s")
    print(f"load average at start {load:.1f} on {os.cpu_count()} cores · CPU time {total_cpu:.1f} s")
    print(
        f"total {total:.1f} s · events {result.events:,} · extract rows {rows:,} "
        f"({rows / total:,.0f} rows/s) · injected errors {result.errors:,}"
    )
    print(f"peak memory (max RSS) {peak:.2f} GiB · output {size / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
