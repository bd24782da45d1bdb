"""Benchmark: read an agency's XLSX workbook into text columns, and collect it end to end (SQLite).

Baseline, measured in the same run on the same file: openpyxl's read-only row iterator with the cell-to-text
conversion padis used before (one Python call per cell). padis now reads the sheet with fastexcel (the Rust
calamine reader, columnar) and scans the sheet XML once for merged header cells and long numbers.

    .venv/bin/python bench/bench_xlsx.py --rows 200000
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook, load_workbook

from padis.collect.sample import MAPPING, person_frame
from padis.collect.service import collect_file
from padis.fileio import read_table
from padis.store.engine import make_engine
from padis.store.migrate import upgrade


def peak_mib() -> float:
    """Peak resident memory of this process so far, MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_workbook(path: Path, rows: int) -> None:
    """A public-security person extract as one sheet (text cells, as agencies export them)."""
    frame = person_frame(rows, seed=3, bad_fraction=0.02)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("户籍人口")
    sheet.append(frame.columns)
    for row in frame.iter_rows():
        sheet.append(list(row))
    book.save(path)


def _old_cell_text(value: object) -> str | None:
    """The per-cell conversion of the openpyxl reader this benchmark compares against."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    return str(value)


def openpyxl_baseline(path: Path) -> int:
    """Read every cell as text with openpyxl (read-only), row by row; returns the data rows."""
    book = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = [
            [_old_cell_text(v) for v in values] for values in book.worksheets[0].iter_rows(values_only=True)
        ]
    finally:
        book.close()
    return len(rows) - 1


def main() -> None:
    """Write the workbook, time both readers, then collect it into a fresh SQLite database."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--no-baseline", action="store_true", help="Skip the slow openpyxl baseline.")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="padis-bench-xlsx-"))
    path = work / "extracts" / "public_security__persons.xlsx"
    path.parent.mkdir(parents=True)
    start = time.perf_counter()
    write_workbook(path, args.rows)
    print(
        f"workbook: {args.rows:,} rows, {path.stat().st_size / 2**20:.1f} MiB, "
        f"written in {time.perf_counter() - start:.1f} s"
    )

    start = time.perf_counter()
    result = read_table(path)
    fast_s = time.perf_counter() - start
    assert result.frame.height == args.rows
    print(
        f"padis read (fastexcel): {fast_s:.2f} s = {args.rows / fast_s:,.0f} rows/s; "
        f"peak {peak_mib():,.0f} MiB"
    )
    if not args.no_baseline:
        start = time.perf_counter()
        assert openpyxl_baseline(path) == args.rows
        base_s = time.perf_counter() - start
        print(
            f"openpyxl baseline: {base_s:.2f} s = {args.rows / base_s:,.0f} rows/s; "
            f"ratio {base_s / fast_s:.1f}x"
        )

    (work / "mappings").mkdir()
    import yaml

    (work / "mappings" / "public_security__persons.yaml").write_text(
        yaml.safe_dump(MAPPING, allow_unicode=True), encoding="utf-8"
    )
    engine = make_engine(f"sqlite:///{work / 'bench.db'}")
    upgrade(engine)
    start = time.perf_counter()
    report = collect_file(engine, path, "public_security", apply=False)
    took = time.perf_counter() - start
    print(
        f"collect XLSX end to end (SQLite): {report.rows_read:,} rows (stored {report.rows_stored:,}, "
        f"quarantined {report.rows_quarantined:,}) in {took:.1f} s = {report.rows_read / took:,.0f} rows/s; "
        f"stages {report.timings}; peak {peak_mib():,.0f} MiB"
    )
    engine.dispose()


if __name__ == "__main__":
    main()
