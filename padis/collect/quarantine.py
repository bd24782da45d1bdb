"""The quarantine queue: list bad rows, correct their values, re-submit them as a new linked batch."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import polars as pl
from sqlalchemy import Engine, text

from padis.collect.mapping import Mapping
from padis.collect.reader import ROW_COLUMN, SourceTable
from padis.collect.report import ImportReport
from padis.errors import InputError


def list_quarantine(
    engine: Engine,
    *,
    batch_id: int | None = None,
    reason: str | None = None,
    status: str | None = "open",
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Quarantined rows, newest batch first; ``reason`` matches a reason prefix such as ``id_number``."""
    where, params = ["1 = 1"], {"limit": limit}
    if batch_id is not None:
        where.append("batch_id = :b")
        params["b"] = batch_id
    if status:
        where.append("status = :s")
        params["s"] = status
    if reason:
        where.append("reasons LIKE :r")
        params["r"] = f"%{reason}%"
    sql = (
        "SELECT quarantine_id, batch_id, agency, record_type, row_number, source_key, reasons, raw, "
        "status, fixes "
        f"FROM quarantine WHERE {' AND '.join(where)} ORDER BY batch_id DESC, row_number LIMIT :limit"
    )
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(text(sql), params).mappings()]


def current_values(raw: str, fixes: str | None) -> dict[str, Any]:
    """A quarantined row's values now: its original ones (JSON) with the fixes recorded so far applied."""
    return {**json.loads(raw), **(json.loads(fixes) if fixes else {})}


def batch_mapping(engine: Engine, batch_id: int) -> Mapping:
    """The mapping a batch was collected with (kept in its batch row)."""
    with engine.connect() as conn:
        row = conn.execute(text("SELECT mapping FROM batch WHERE batch_id = :b"), {"b": batch_id}).first()
    if row is None:
        raise InputError("no such batch", where=f"batch {batch_id}")
    return Mapping.from_json(row[0])


def within(engine: Engine, rows: list[dict[str, Any]], scope: str) -> list[dict[str, Any]]:
    """The quarantined ``rows`` whose current value of a division column (per their batch's mapping) lies
    in ``scope`` — a county steward's share of a batch that spans divisions."""
    from padis.exchange.sources import scope_prefix

    prefix = scope_prefix(scope)
    columns: dict[int, list[str]] = {}
    for batch in {int(r["batch_id"]) for r in rows}:
        mapping = batch_mapping(engine, batch)
        fields = [f.name for f in mapping.record_def.fields if f.type == "division"]
        columns[batch] = [c for c in (mapping.source_of(f) for f in fields) if c]
    kept = []
    for r in rows:
        values = current_values(r["raw"], r["fixes"])
        if any(str(values.get(c) or "").strip().startswith(prefix) for c in columns[int(r["batch_id"])]):
            kept.append(r)
    return kept


def fix_row(engine: Engine, quarantine_id: int, changes: dict[str, str]) -> dict[str, Any]:
    """Correct values of one quarantined row; keys are source columns or dictionary field names."""
    with engine.begin() as conn:
        row = conn.execute(
            text("SELECT batch_id, raw, status, fixes FROM quarantine WHERE quarantine_id = :q"),
            {"q": quarantine_id},
        ).first()
        if row is None:
            raise InputError("no such quarantined row", where=f"quarantine {quarantine_id}")
        if row[2] == "resubmitted":
            raise InputError("row already re-submitted", where=f"quarantine {quarantine_id}")
        mapping = batch_mapping(engine, int(row[0]))
        raw = json.loads(row[1])
        fixes = json.loads(row[3]) if row[3] else {}
        for key, value in changes.items():
            column = key if key in raw else mapping.source_of(key)
            if column is None or column not in raw:
                raise InputError(
                    f"unknown column or field {key!r}",
                    where=f"quarantine {quarantine_id}",
                    why=f"columns: {', '.join(raw)}",
                )
            fixes[column] = value
        conn.execute(
            text(
                "UPDATE quarantine SET fixes = :f, status = 'fixed', updated_at = CURRENT_TIMESTAMP "
                "WHERE quarantine_id = :q"
            ),
            {"f": json.dumps(fixes, ensure_ascii=False), "q": quarantine_id},
        )
    return {"quarantine_id": quarantine_id, "fixes": fixes}


def resubmit(engine: Engine, *, batch_id: int | None = None, apply: bool = True) -> list[ImportReport]:
    """Re-validate every fixed row (of one batch, or all) and store the passing ones as new batches.

    Each original batch's fixed rows become one new batch (``parent_batch_id`` = the original,
    row numbers kept); rows that still fail are quarantined again under the new batch with their new
    reasons. Re-running after a crash finds the batch already stored and only finishes the marking.
    """
    from padis.collect.service import collect_table, find_batch

    where = "status = 'fixed'" + (" AND batch_id = :b" if batch_id is not None else "")
    with engine.connect() as conn:
        rows = conn.execute(
            text(f"SELECT quarantine_id, batch_id, row_number, raw, fixes FROM quarantine WHERE {where}"),
            {"b": batch_id} if batch_id is not None else {},
        ).fetchall()
    reports = []
    by_batch: dict[int, list[Any]] = {}
    for r in rows:
        by_batch.setdefault(int(r[1]), []).append(r)
    for parent, items in sorted(by_batch.items()):
        mapping = batch_mapping(engine, parent)
        records = [current_values(r[3], r[4]) for r in items]
        frame = pl.DataFrame(records, infer_schema_length=None).with_columns(pl.all().cast(pl.String))
        frame = frame.with_columns(pl.Series(ROW_COLUMN, [int(r[2]) for r in items], dtype=pl.Int64))
        ids = sorted(int(r[0]) for r in items)
        digest = hashlib.sha256(json.dumps([parent, ids, [r[4] for r in items]]).encode()).hexdigest()
        table = SourceTable(frame, "quarantine", None, None)  # type: ignore[arg-type]
        done = find_batch(engine, mapping.agency, digest)
        if done is not None:
            report = ImportReport(
                file=f"resubmit of batch {parent}",
                agency=mapping.agency,
                dataset=mapping.name,
                record_type=mapping.record,
                file_hash=digest,
                batch_id=done[0],
                rows_read=0,
                rows_stored=0,
                rows_quarantined=0,
                already_loaded=True,
            )
        else:
            report = collect_table(
                engine,
                table,
                mapping,
                file_hash=digest,
                file_name=f"resubmit of batch {parent}",
                parent_batch_id=parent,
            )
        with engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE quarantine SET status = 'resubmitted', resubmitted_batch_id = :nb, "
                    f"updated_at = CURRENT_TIMESTAMP WHERE quarantine_id IN ({', '.join(map(str, ids))})"
                ),
                {"nb": report.batch_id},
            )
        if apply and report.batch_id is not None:
            from padis.register.service import apply_batch

            report.register = apply_batch(engine, report.batch_id)
        reports.append(report)
    return reports
