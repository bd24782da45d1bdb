"""Benchmark: collect a 1,000,000-row extract end to end and rebuild 1,000,000 golden records.

Runs on SQLite and on PostgreSQL (when reachable); prints rows/s, seconds and peak memory.
    .venv/bin/python bench/bench_collect.py --rows 1000000 [--synth DIR] [--db sqlite,postgresql]
``--all-extracts`` also collects the other 11 synth extracts before the golden build (a register fed by
every agency: conflicts, marriages' second parties, fields from several records). Without ``--synth`` the
extract is made by ``padis.collect.sample`` (a public-security person extract
with local codes and 2 % bad rows); with it, DIR/extracts/public_security__household_register.* is used.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from padis.collect.sample import write_extract
from padis.collect.service import collect_file
from padis.register.service import rebuild_all
from padis.store.engine import make_engine
from padis.store.migrate import upgrade

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def peak_mib() -> float:
    """Peak resident memory of this process so far, MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_note(kind: str) -> str:
    """The SQLite writer child's peak memory (once reaped), or that a server's memory is not counted."""
    if kind != "sqlite":
        return " (the PostgreSQL server's own memory is not counted)"
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return f" (writer child {child:,.0f} MiB)" if child else " (writer child still running)"


def cpu_s() -> float:
    """CPU seconds (user + system) this process has used so far (the machine is shared: wall varies)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def fresh_url(kind: str, work: Path) -> str | None:
    """A new empty database of ``kind``."""
    if kind == "sqlite":
        path = work / "bench.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS padis_bench_collect WITH (FORCE)"))
            conn.execute(text("CREATE DATABASE padis_bench_collect"))
    except Exception as exc:  # noqa: BLE001 - no PostgreSQL here: skip it
        print(f"postgresql: skipped ({exc.__class__.__name__})")
        return None
    finally:
        admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + "/padis_bench_collect"


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--synth", type=Path, default=None)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--no-golden", action="store_true", help="collect only (skip the register build)")
    parser.add_argument(
        "--all-extracts",
        action="store_true",
        help="with --synth: collect every agency extract (a multi-agency register) before the golden build",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="padis-bench-collect-"))
    if args.synth:
        extract = next((args.synth / "extracts").glob("public_security__household_register.*"))
    else:
        start = time.perf_counter()
        extract, _ = write_extract(work, args.rows, fmt="parquet", bad_fraction=0.02)
        print(f"extract: {args.rows:,} rows written in {time.perf_counter() - start:.1f} s ({extract.name})")
    for kind in args.db.split(","):
        url = fresh_url(kind, work)
        if url is None:
            continue
        engine = make_engine(url)
        upgrade(engine)
        start, cpu = time.perf_counter(), cpu_s()
        report = collect_file(engine, extract, "public_security", apply=False)
        collect_s, collect_cpu = time.perf_counter() - start, cpu_s() - cpu
        print(
            f"{kind}: collect {report.rows_read:,} rows (stored {report.rows_stored:,}, quarantined "
            f"{report.rows_quarantined:,}) in {collect_s:.1f} s wall = "
            f"{report.rows_read / collect_s:,.0f} rows/s (this process's CPU {collect_cpu:.1f} s); "
            f"peak memory {peak_mib():,.0f} MiB{child_note(kind)}; stages (s, wall): {report.timings}"
        )
        if args.no_golden:
            engine.dispose()
            continue
        if args.all_extracts and args.synth:
            others = sorted(p for p in (args.synth / "extracts").glob("*.parquet") if p != extract)
            start, rows = time.perf_counter(), report.rows_read
            for path in others:
                rows += collect_file(engine, path, path.name.split("__")[0], apply=False).rows_read
            took = time.perf_counter() - start
            print(
                f"{kind}: {len(others)} more extracts, {rows - report.rows_read:,} rows in {took:.1f} s "
                f"({rows:,} rows from {len(others) + 1} extracts in the register)"
            )
        start, cpu = time.perf_counter(), cpu_s()
        first = rebuild_all(engine)
        first_s, first_cpu = time.perf_counter() - start, cpu_s() - cpu
        start, cpu = time.perf_counter(), cpu_s()
        again = rebuild_all(engine)
        again_s, again_cpu = time.perf_counter() - start, cpu_s() - cpu
        print(
            f"{kind}: identity resolution + golden build for {first['persons']:,} persons in "
            f"{first_s:.1f} s wall (CPU here {first_cpu:.1f} s); full golden rebuild of "
            f"{again['persons']:,} persons in {again_s:.1f} s wall (CPU here {again_cpu:.1f} s; the "
            f"database server's CPU is not counted); peak memory {peak_mib():,.0f} MiB{child_note(kind)}"
        )
        engine.dispose()


if __name__ == "__main__":
    main()
