"""Quarantine: list by reason, correct a row, re-submit it as a new batch linked to the original."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from padis.collect.quarantine import fix_row, list_quarantine, resubmit
from padis.collect.service import collect_file
from padis.errors import InputError
from padis.standards.idnumber import check_id


def test_fix_and_resubmit(engine: Engine, extract: tuple[Path, Path]) -> None:
    path, _ = extract
    first = collect_file(engine, path, "public_security")
    bad_ids = list_quarantine(engine, reason="id_number:bad_checksum")
    assert bad_ids and all("id_number:bad_checksum" in r["reasons"] for r in bad_ids)
    row = bad_ids[0]
    raw = json.loads(row["raw"])
    body = raw["GMSFHM"][:17]
    fixed = next(body + c for c in "0123456789X" if check_id(body + c).valid)
    fix_row(engine, row["quarantine_id"], {"id_number": fixed})  # by dictionary field name
    with pytest.raises(InputError):
        fix_row(engine, row["quarantine_id"], {"no_such_column": "1"})
    reports = resubmit(engine)
    assert len(reports) == 1
    report = reports[0]
    assert (report.rows_read, report.rows_stored, report.rows_quarantined) == (1, 1, 0)
    with engine.connect() as conn:
        parent = conn.execute(
            text("SELECT parent_batch_id FROM batch WHERE batch_id = :b"), {"b": report.batch_id}
        ).scalar_one()
        stored = conn.execute(
            text("SELECT row_number, id_number FROM source_record WHERE batch_id = :b"),
            {"b": report.batch_id},
        ).one()
        status = conn.execute(
            text("SELECT status, resubmitted_batch_id FROM quarantine WHERE quarantine_id = :q"),
            {"q": row["quarantine_id"]},
        ).one()
        persons = conn.execute(text("SELECT COUNT(*) FROM person")).scalar_one()
    assert parent == first.batch_id
    assert stored == (row["row_number"], fixed)  # provenance: original row number kept
    assert tuple(status) == ("resubmitted", report.batch_id)
    assert persons == first.rows_stored + 1
    assert resubmit(engine) == []  # nothing left to resubmit
