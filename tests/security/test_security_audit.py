"""The audit chain detects every edited, inserted or deleted entry; the data tracker finds accesses."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from padis.security.audit import AuditLog, make_entry, person_accesses, verify_chain


def _fill(engine, n: int = 12) -> AuditLog:  # type: ignore[no-untyped-def]
    log = AuditLog(engine)
    for i in range(n):
        log.record(
            make_entry(
                actor="client",
                client="health_cy",
                user=None,
                purpose="medical_insurance",
                action="query",
                request={"i": i},
                person_ids=[i % 4 + 1, 99],
                result="ok",
            )
        )
        if i % 5 == 4:
            log.flush()
    log.flush()
    return log


def test_intact_chain_verifies(engine):  # type: ignore[no-untyped-def]
    _fill(engine)
    report = verify_chain(engine)
    assert report.ok and report.entries == 12


@pytest.mark.parametrize(
    "tamper,bad_seq",
    [
        ("UPDATE audit_log SET purpose = 'other' WHERE seq = 5", 5),
        ("UPDATE audit_log SET result = 'denied' WHERE seq = 1", 1),
        ("DELETE FROM audit_log WHERE seq = 7", 7),
        ("UPDATE audit_log SET seq = 100 WHERE seq = 12", 12),
        ("DELETE FROM audit_person WHERE seq = 3 AND person_id = 99", 3),
        ("INSERT INTO audit_person (seq, person_id) VALUES (4, 12345)", 4),
    ],
)
def test_tampering_is_detected(engine, tamper, bad_seq):  # type: ignore[no-untyped-def]
    _fill(engine)
    with engine.begin() as conn:
        conn.execute(text(tamper))
    report = verify_chain(engine)
    assert not report.ok and report.first_bad_seq == bad_seq, report


def test_recomputed_insert_is_detected(engine):  # type: ignore[no-untyped-def]
    """An attacker who re-hashes an inserted entry still breaks the link or the signed head."""
    from padis.security.audit import entry_hash

    _fill(engine, 5)
    with engine.begin() as conn:
        last = conn.execute(text("SELECT hash FROM audit_log WHERE seq = 5")).scalar_one()
        row = {
            "seq": 6,
            "ts": "2026-01-01T00:00:00",
            "actor": "client",
            "client": "x",
            "user_name": None,
            "purpose": "p",
            "action": "query",
            "request": "{}",
            "person_count": 0,
            "persons_digest": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "result": "ok",
            "prev_hash": last,
        }
        row["hash"] = entry_hash(last, row)
        conn.execute(
            text(
                "INSERT INTO audit_log (seq, ts, actor, client, user_name, purpose, action, request,"
                " person_count, persons_digest, result, prev_hash, hash) VALUES (:seq, :ts, :actor,"
                " :client, :user_name, :purpose, :action, :request, :person_count, :persons_digest,"
                " :result, :prev_hash, :hash)"
            ),
            row,
        )
    report = verify_chain(engine)
    assert not report.ok and "head" in report.problem


def test_cut_tail_is_detected(engine):  # type: ignore[no-untyped-def]
    _fill(engine, 6)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq >= 5"))
        conn.execute(text("DELETE FROM audit_person WHERE seq >= 5"))
    report = verify_chain(engine)
    assert not report.ok and report.first_bad_seq == 5


def test_person_accesses_answers_who_when_why(engine):  # type: ignore[no-untyped-def]
    _fill(engine, 8)
    rows = person_accesses(engine, 2)
    assert [r["seq"] for r in rows] == [6, 2]
    assert rows[0]["client"] == "health_cy" and rows[0]["purpose"] == "medical_insurance"


def test_cli_audit_verify_reports_tampering(engine, db_url, monkeypatch):  # type: ignore[no-untyped-def]
    from padis.cli import app
    from padis.store.engine import get_engine

    _fill(engine, 4)
    monkeypatch.setenv("PADIS_DATABASE_URL", db_url)
    from padis.settings import get_settings

    get_settings.cache_clear()
    get_engine.cache_clear()
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0 and "intact" in ok.output
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET request = '{}' WHERE seq = 2"))
    bad = runner.invoke(app, ["audit", "verify"])
    assert bad.exit_code == 1 and "seq 2" in bad.output
    get_engine.cache_clear()


def test_concurrent_writers_keep_one_chain(engine):  # type: ignore[no-untyped-def]
    import threading

    from padis.store.engine import make_engine

    def work() -> None:
        eng = make_engine(engine.url.render_as_string(hide_password=False))
        log = AuditLog(eng)
        for i in range(20):
            log.record(
                make_entry(
                    actor="staff",
                    client=None,
                    user="u",
                    purpose="p",
                    action="query",
                    request={"i": i},
                    person_ids=[i],
                    result="ok",
                )
            )
            if i % 3 == 0:
                log.flush()
        log.flush()
        eng.dispose()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report = verify_chain(engine)
    assert report.ok and report.entries == 60


def test_large_entries_are_packed_and_still_checked(engine):  # type: ignore[no-untyped-def]
    import numpy as np

    log = AuditLog(engine)
    ids = np.arange(10, 5010, dtype=np.int64)
    log.record(
        make_entry(
            actor="client",
            client="c",
            user=None,
            purpose="p",
            action="verify",
            request={},
            person_ids=ids,
            result="ok",
        )
    )
    log.flush()
    assert verify_chain(engine).ok
    assert [r["action"] for r in person_accesses(engine, 4000)] == ["verify"]
    assert person_accesses(engine, 9) == []
    from padis.security.audit import pack_ids

    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_blob SET ids = :b WHERE seq = 1"), {"b": pack_ids(ids[:-1])})
    report = verify_chain(engine)
    assert not report.ok and report.first_bad_seq == 1
