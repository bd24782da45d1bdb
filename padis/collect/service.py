"""Collecting one agency file: read, map, validate, then store the batch all-or-nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import signal
import subprocess
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import polars as pl
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from padis.collect.mapping import Mapping, check_agency, find_mapping, identity_mapping, load_mapping
from padis.collect.parts import SHARED_COLUMNS, CheckedPart, Tally, check_parts
from padis.collect.reader import SourceTable, read_source
from padis.collect.report import ImportReport
from padis.collect.validate import check_columns
from padis.errors import InputError
from padis.store.bulk import BulkSession, SqliteChildSession, batch_session, start_writer, stop_writer

CRASH_ENV = "PADIS_TEST_CRASH_AFTER_ROWS"  # test hook: SIGKILL this process after N rows are written
CRASH_GROUP_ENV = "PADIS_TEST_CRASH_GROUP"  # with it: SIGKILL the whole process group (the writer child too)

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
        if os.environ.get(CRASH_GROUP_ENV):
            os.killpg(0, signal.SIGKILL)
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
    parts: Iterable[CheckedPart],
    *,
    rows: int,
    progress: Progress = _noop,
    writer: subprocess.Popen[bytes] | None = None,
) -> tuple[int, Tally]:
    """Write the batch row, its parts' records and quarantined rows in ONE transaction.

    Each part's records are written by a sender thread while the next part is validated (the
    database, or the SQLite writer child, works on another core). The batch row is inserted first
    (a file already collected fails here, before any work) and gets its counts at the end.
    ``rows``: the rows read (for progress). ``writer``: a SQLite writer child from
    :func:`padis.store.bulk.start_writer` (taken over). Returns the batch id and what the parts held.
    """
    tally = Tally()
    quarantined: list[pl.DataFrame] = []
    with batch_session(engine, rows, writer) as session, ThreadPoolExecutor(1, "padis-store") as sender:
        batch_id = insert_batch(session, batch)
        constants = {"batch_id": batch_id, **{c: batch[c] for c in SHARED_COLUMNS}}
        pending: deque[tuple[Future[int], int]] = deque()
        written = 0
        for part in parts:
            tally.add(part)
            progress("validate", tally.stored + tally.quarantined, rows)
            quarantined.append(part.quarantine)
            if part.records.height:
                job = _submit(sender, session, part.records, constants)
                pending.append((job, part.records.height))
            while len(pending) > 1:  # at most one part waits while another is written
                written = _finish_write(pending, written, rows, progress)
        while pending:
            written = _finish_write(pending, written, rows, progress)
        session.write(
            "quarantine", pl.concat(quarantined, how="vertical_relaxed"), constants={"batch_id": batch_id}
        )
        session.execute(
            "UPDATE batch SET rows_stored = :s, rows_quarantined = :q, report = :r WHERE batch_id = :b",
            {"s": tally.stored, "q": tally.quarantined, "r": _batch_report(rows, tally), "b": batch_id},
        )
        progress("store", rows, rows)
    return batch_id, tally


def _submit(
    sender: ThreadPoolExecutor,
    session: BulkSession | SqliteChildSession,
    records: pl.DataFrame,
    constants: dict[str, object],
) -> Future[int]:
    """Write ``records`` on the sender thread when the session allows it, else in this one."""
    if session.threadsafe_writes:
        return sender.submit(session.write, "source_record", records, constants=constants)
    done: Future[int] = Future()
    done.set_result(session.write("source_record", records, constants=constants))
    return done


def _finish_write(
    pending: deque[tuple[Future[int], int]], written: int, rows: int, progress: Progress
) -> int:
    """Wait for the oldest part's write; return the rows written so far."""
    job, height = pending.popleft()
    job.result()
    written += height
    progress("store", written, rows)
    _maybe_crash(written)
    return written


def _batch_report(rows: int, tally: Tally) -> str:
    """The batch row's report: counts by outcome and by reason (JSON)."""
    return json.dumps(
        {
            "rows_read": rows,
            "rows_stored": tally.stored,
            "rows_quarantined": tally.quarantined,
            "by_reason": tally.reasons(),
        },
        ensure_ascii=False,
    )


def collect_table(
    engine: Engine,
    table: SourceTable,
    mapping: Mapping,
    *,
    file_hash: str,
    file_name: str,
    parent_batch_id: int | None = None,
    progress: Progress = _noop,
    scopes: tuple[str, ...] | None = None,
) -> ImportReport:
    """Validate an already-read table and store it as one batch (the core of :func:`collect_file`).

    ``scopes``: the divisions the submitter may report on (None = anywhere); rows outside them are
    quarantined (``division:out_of_scope``).
    """
    start = time.perf_counter()
    check_columns(table.frame, mapping, file_name)
    writer = start_writer(engine, table.frame.height)  # starts up while we validate
    try:
        return _collect_checked(
            engine, table, mapping, start, writer, file_hash, file_name, parent_batch_id, progress, scopes
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
    scopes: tuple[str, ...] | None = None,
) -> ImportReport:
    """:func:`collect_table` after the column check, with its writer child (if any) started."""
    rows = table.frame.height
    progress("validate", 0, rows)
    now = utcnow()
    report = ImportReport(
        file=file_name,
        agency=mapping.agency,
        dataset=mapping.name or mapping.record,
        record_type=mapping.record,
        file_hash=file_hash,
        batch_id=None,
        rows_read=rows,
        rows_stored=0,
        rows_quarantined=0,
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
        "rows_read": rows,
        "rows_stored": 0,  # set with the counts once every part is checked, in the same transaction
        "rows_quarantined": 0,
        "report": "{}",
        "mapping": mapping.to_json(),
        "received_at": now,
        "committed_at": now,
    }
    parts = check_parts(table.frame, mapping, received_at=now, scopes=scopes)
    try:
        report.batch_id, tally = store_batch(
            engine, batch, parts, rows=rows, progress=progress, writer=writer
        )
    except IntegrityError:
        # Another process committed the same file first (unique agency + file hash): nothing changed.
        done = find_batch(engine, mapping.agency, file_hash)
        if done is None:
            raise
        report.batch_id, report.already_loaded = done[0], True
        report.timings = {"validate": 0.0, "store": round(time.perf_counter() - start, 3)}
        report.seconds = time.perf_counter() - start
        return report
    if tally.stored + tally.quarantined != rows:  # pragma: no cover - an invariant
        raise RuntimeError("rows lost between validation and storage")
    report.rows_stored, report.rows_quarantined = tally.stored, tally.quarantined
    report.by_reason, report.rows_with_warnings = tally.reasons(), tally.warned
    report.seconds = time.perf_counter() - start
    # Validation and storage overlap: "store" is the time not spent validating.
    validate_s = min(tally.validate_seconds, report.seconds)
    report.timings = {"validate": round(validate_s, 3), "store": round(report.seconds - validate_s, 3)}
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
    scopes: tuple[str, ...] | None = None,
    file_name: str | None = None,
    mapping: Mapping | None = None,
) -> ImportReport:
    """Collect one agency file as one all-or-nothing batch and (by default) apply it to the register.

    A file this agency already delivered (same SHA-256) is recognised: nothing changes, except that
    a batch the register has not applied yet (a crash between the two steps) is applied now.
    ``scopes``: see :func:`collect_table`. ``file_name``: the name the batch records (default: the path).
    ``mapping``: one already loaded (a previous batch's, say) instead of ``mapping_path`` / ``record``.
    """
    start = time.perf_counter()
    path = Path(path)
    if mapping is None:
        mapping = resolve_mapping(path, agency, mapping_path, record)
    elif mapping.agency != agency:
        raise InputError(f"the mapping is for agency {mapping.agency!r}, not {agency!r}", where=str(path))
    if not path.is_file():
        raise InputError("file not found", where=str(path))
    file_hash = file_sha256(path)
    existing = find_batch(engine, agency, file_hash)
    if existing is not None:
        batch_id, applied_at = existing
        report = ImportReport(
            file=file_name or str(path),
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
        engine,
        table,
        mapping,
        file_hash=file_hash,
        file_name=file_name or str(path),
        progress=progress,
        scopes=scopes,
    )
    if apply and report.batch_id is not None:
        report.register = _apply(engine, report.batch_id)
    report.timings = {"read": round(read_s, 3), **report.timings}
    report.notes = list(table.notes)
    report.seconds = time.perf_counter() - start
    return report


def _apply(engine: Engine, batch_id: int) -> dict[str, int]:
    from padis.register.service import apply_batch

    return apply_batch(engine, batch_id)
