"""Collecting one agency file: read, map, validate, then store the batch all-or-nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from padis.collect.mapping import Mapping, check_agency, find_mapping, identity_mapping, load_mapping
from padis.collect.reader import SourceTable, read_source
from padis.collect.records import build_quarantine, build_records, reason_counts
from padis.collect.report import ImportReport
from padis.collect.validate import WARNINGS, check_columns, validate
from padis.errors import InputError
from padis.store.bulk import BulkSession, SqliteChildSession, batch_session, start_writer, stop_writer

WRITE_CHUNK_ROWS = 100_000
CRASH_ENV = "PADIS_TEST_CRASH_AFTER_ROWS"  # test hook: SIGKILL this process after N rows are written

SHARED_COLUMNS = ("agency", "record_type", "file_hash", "received_at")
Progress = Callable[[str, int, int], None]


def _noop(_stage: str, _done: int, _total: int) -> None:
    return None


def utcnow() -> dt.datetime:
    """The current UTC time without tzinfo (how every padis timestamp is stored)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, streamed."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def resolve_mapping(path: Path, agency: str, mapping_path: Path | None, record: str | None) -> Mapping | None:
    """The mapping given or found beside the extract; None when the columns are ``record``'s field names."""
    check_agency(agency)
    found = mapping_path or find_mapping(path)
    if found is not None:
        mapping = load_mapping(found)
        if mapping.agency != agency:
            raise InputError(
                f"the mapping is for agency {mapping.agency!r}, not {agency!r}",
                where=str(found),
                why="pass the matching --agency or --mapping",
            )
        return mapping
    if record is None:
        raise InputError(
            "no mapping for this file",
            where=str(path),
            why="pass --mapping MAPPING.yaml, or --record RECORD when the columns are dictionary field names",
        )
    from padis.standards.dictionary import get_dictionary

    get_dictionary().record(record)  # unknown record: a clear error before reading
    return None


def find_batch(engine: Engine, agency: str, file_hash: str) -> tuple[int, dt.datetime | None] | None:
    """The committed batch holding this file for this agency, with when the register applied it."""
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT batch_id, applied_at FROM batch WHERE agency = :a AND file_hash = :h"),
            {"a": agency, "h": file_hash},
        ).first()
    return (int(row[0]), row[1]) if row else None


def _maybe_crash(rows_written: int) -> None:
    limit = os.environ.get(CRASH_ENV)
    if limit and rows_written >= int(limit):
        os.kill(os.getpid(), signal.SIGKILL)


def insert_batch(session: BulkSession | SqliteChildSession, values: dict[str, object]) -> int:
    """Insert the batch row and return its id."""
    cols = ", ".join(values)
    params = ", ".join(f":{k}" for k in values)
    rows = session.execute(f"INSERT INTO batch ({cols}) VALUES ({params}) RETURNING batch_id", values)
    return int(rows[0][0])


def store_batch(
    engine: Engine,
    batch: dict[str, object],
    records: pl.DataFrame,
    quarantine: pl.DataFrame,
    progress: Progress = _noop,
    writer: subprocess.Popen[bytes] | None = None,
) -> int:
    """Write the batch row, its records and its quarantined rows in ONE transaction; return batch_id.

    ``writer``: a SQLite writer child from :func:`padis.store.bulk.start_writer` (taken over).
    """
    # Columns equal on every record of the batch travel once, not per row.
    shared = {c: records.get_column(c)[0] for c in SHARED_COLUMNS if c in records.columns and records.height}
    records = records.drop([c for c in shared if c in records.columns])
    with batch_session(engine, records.height + quarantine.height, writer) as session:
        batch_id = insert_batch(session, batch)
        written = 0
        total = records.height + quarantine.height
        for start in range(0, max(records.height, 1), WRITE_CHUNK_ROWS):
            part = records.slice(start, WRITE_CHUNK_ROWS)
            if part.height == 0:
                break
            session.write("source_record", part, constants={"batch_id": batch_id, **shared})
            written += part.height
            progress("store", written, total)
            _maybe_crash(written)
        session.write("quarantine", quarantine, constants={"batch_id": batch_id})
        progress("store", total, total)
    return batch_id


def collect_table(
    engine: Engine,
    table: SourceTable,
    mapping: Mapping,
    *,
    file_hash: str,
    file_name: str,
    parent_batch_id: int | None = None,
    progress: Progress = _noop,
) -> ImportReport:
    """Validate an already-read table and store it as one batch (the core of :func:`collect_file`)."""
    start = time.perf_counter()
    check_columns(table.frame, mapping, file_name)
    writer = start_writer(engine, table.frame.height)  # starts up while we validate
    try:
        return _collect_checked(
            engine, table, mapping, start, writer, file_hash, file_name, parent_batch_id, progress
        )
    finally:
        stop_writer(writer)


def _collect_checked(
    engine: Engine,
    table: SourceTable,
    mapping: Mapping,
    start: float,
    writer: subprocess.Popen[bytes] | None,
    file_hash: str,
    file_name: str,
    parent_batch_id: int | None,
    progress: Progress,
) -> ImportReport:
    """:func:`collect_table` after the column check, with its writer child (if any) started."""
    progress("validate", 0, table.frame.height)
    validated = validate(table.frame, mapping)
    progress("validate", table.frame.height, table.frame.height)
    now = utcnow()
    records = build_records(validated, mapping, file_hash=file_hash, received_at=now)
    quarantine = build_quarantine(validated, table.frame, mapping, created_at=now)
    by_reason = reason_counts(validated)
    if records.height + quarantine.height != table.frame.height:  # pragma: no cover - an invariant
        raise RuntimeError("rows lost between validation and storage")
    report = ImportReport(
        file=file_name,
        agency=mapping.agency,
        dataset=mapping.name or mapping.record,
        record_type=mapping.record,
        file_hash=file_hash,
        batch_id=None,
        rows_read=table.frame.height,
        rows_stored=records.height,
        rows_quarantined=quarantine.height,
        by_reason=by_reason,
        rows_with_warnings=int(validated.good.select(pl.col(WARNINGS).is_not_null().sum()).item()),
    )
    batch = {
        "agency": mapping.agency,
        "dataset": report.dataset,
        "record_type": mapping.record,
        "file_name": file_name[-500:],
        "file_hash": file_hash,
        "file_format": table.format,
        "encoding": table.encoding,
        "parent_batch_id": parent_batch_id,
        "rows_read": report.rows_read,
        "rows_stored": report.rows_stored,
        "rows_quarantined": report.rows_quarantined,
        "report": "{}",
        "mapping": mapping.to_json(),
        "received_at": now,
        "committed_at": now,
    }
    batch["report"] = json.dumps(
        {
            k: v
            for k, v in report.to_dict().items()
            if k in ("rows_read", "rows_stored", "rows_quarantined", "by_reason")
        },
        ensure_ascii=False,
    )
    checked = time.perf_counter()
    try:
        report.batch_id = store_batch(engine, batch, records, quarantine, progress, writer)
    except IntegrityError:
        # Another process committed the same file first (unique agency + file hash): nothing changed.
        done = find_batch(engine, mapping.agency, file_hash)
        if done is None:
            raise
        report.batch_id, report.already_loaded = done[0], True
        report.rows_stored = report.rows_quarantined = 0
    report.timings = {"validate": round(checked - start, 3), "store": round(time.perf_counter() - checked, 3)}
    report.seconds = time.perf_counter() - start
    return report


def collect_file(
    engine: Engine,
    path: Path,
    agency: str,
    *,
    mapping_path: Path | None = None,
    record: str | None = None,
    apply: bool = True,
    progress: Progress = _noop,
) -> ImportReport:
    """Collect one agency file as one all-or-nothing batch and (by default) apply it to the register.

    A file this agency already delivered (same SHA-256) is recognised: nothing changes, except that
    a batch the register has not applied yet (a crash between the two steps) is applied now.
    """
    start = time.perf_counter()
    path = Path(path)
    mapping = resolve_mapping(path, agency, mapping_path, record)
    if not path.is_file():
        raise InputError("file not found", where=str(path))
    file_hash = file_sha256(path)
    existing = find_batch(engine, agency, file_hash)
    if existing is not None:
        batch_id, applied_at = existing
        report = ImportReport(
            file=str(path),
            agency=agency,
            dataset=(mapping.name or mapping.record) if mapping else str(record),
            record_type=mapping.record if mapping else str(record),
            file_hash=file_hash,
            batch_id=batch_id,
            rows_read=0,
            rows_stored=0,
            rows_quarantined=0,
            already_loaded=True,
        )
        if apply and applied_at is None:
            report.register = _apply(engine, batch_id)
        return report
    progress("read", 0, 1)
    table = read_source(path)
    if mapping is None:
        mapping = identity_mapping(agency, str(record), table.frame.columns)
    progress("read", 1, 1)
    read_s = time.perf_counter() - start
    report = collect_table(
        engine, table, mapping, file_hash=file_hash, file_name=str(path), progress=progress
    )
    if apply and report.batch_id is not None:
        report.register = _apply(engine, report.batch_id)
    report.timings = {"read": round(read_s, 3), **report.timings}
    report.seconds = time.perf_counter() - start
    return report


def _apply(engine: Engine, batch_id: int) -> dict[str, int]:
    from padis.register.service import apply_batch

    return apply_batch(engine, batch_id)
