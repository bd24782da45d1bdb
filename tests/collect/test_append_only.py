"""source_record is append-only in the database (migration c0113c7a0004), on SQLite and PostgreSQL.

Content updates and deletes are refused by triggers whatever the client; the register's links
(``person_id``, ``related_person_id``) stay writable, so linking and a full rebuild still work.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from padis.collect.service import collect_file
from padis.register.service import rebuild_all
from padis.store.migrate import downgrade


@pytest.fixture
def collected(engine: Engine, extract: tuple[Path, Path]) -> int:
    """Collect the small extract without applying it; the number of source records stored."""
    path, _ = extract
    report = collect_file(engine, path, "public_security", apply=False)
    assert report.rows_stored > 0
    return report.rows_stored


def _one(engine: Engine, sql: str, **params: object) -> object:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def _first_record(engine: Engine) -> tuple[int, str, str, int]:
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT record_id, name, id_number, batch_id FROM source_record ORDER BY record_id LIMIT 1")
        ).one()
    return int(row[0]), row[1], row[2], int(row[3])


def _refused(engine: Engine, sql: str, verb: str, **params: object) -> None:
    """``sql`` fails in the database with the append-only message naming ``verb``."""
    with pytest.raises(DBAPIError) as info, engine.begin() as conn:
        conn.execute(text(sql), params)
    message = str(info.value.orig)
    assert "append-only" in message and verb in message, message


@pytest.mark.parametrize(
    ("column", "value"),
    [("name", "'篡改'"), ("id_number", "'110101198005010011'"), ("batch_id", "batch_id + 1")],
)
def test_content_update_is_refused(engine: Engine, collected: int, column: str, value: str) -> None:
    record_id, name, id_number, batch_id = _first_record(engine)
    _refused(
        engine, f"UPDATE source_record SET {column} = {value} WHERE record_id = :r", "UPDATE", r=record_id
    )
    assert _first_record(engine) == (record_id, name, id_number, batch_id)


def test_update_setting_a_link_and_content_together_is_refused(engine: Engine, collected: int) -> None:
    record_id, name, *_ = _first_record(engine)
    _refused(
        engine,
        "UPDATE source_record SET person_id = 1, name = 'x' WHERE record_id = :r",
        "UPDATE",
        r=record_id,
    )
    assert _one(engine, "SELECT person_id FROM source_record WHERE record_id = :r", r=record_id) is None
    assert _one(engine, "SELECT name FROM source_record WHERE record_id = :r", r=record_id) == name


def test_bulk_content_update_is_refused(engine: Engine, collected: int) -> None:
    _refused(engine, "UPDATE source_record SET warnings = NULL, fields = '{}'", "UPDATE")
    assert _one(engine, "SELECT COUNT(*) FROM source_record WHERE fields = '{}'") == 0


def test_delete_is_refused(engine: Engine, collected: int) -> None:
    record_id, *_ = _first_record(engine)
    _refused(engine, "DELETE FROM source_record WHERE record_id = :r", "DELETE", r=record_id)
    _refused(engine, "DELETE FROM source_record", "DELETE")
    assert _one(engine, "SELECT COUNT(*) FROM source_record") == collected
    assert _one(engine, "SELECT COUNT(*) FROM source_record WHERE record_id = :r", r=record_id) == 1


def test_truncate_is_refused_on_postgresql(engine: Engine, collected: int) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE (DELETE FROM without WHERE is refused above)")
    _refused(engine, "TRUNCATE source_record", "TRUNCATE")
    assert _one(engine, "SELECT COUNT(*) FROM source_record") == collected


def test_links_stay_updatable(engine: Engine, collected: int) -> None:
    record_id, name, id_number, batch_id = _first_record(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE source_record SET person_id = 42 WHERE record_id = :r"), {"r": record_id})
        conn.execute(
            text("UPDATE source_record SET related_person_id = 7 WHERE record_id = :r"), {"r": record_id}
        )
        both = conn.execute(text("UPDATE source_record SET person_id = 43, related_person_id = 8")).rowcount
    assert both == collected
    with engine.connect() as conn:
        links = conn.execute(
            text("SELECT person_id, related_person_id FROM source_record WHERE record_id = :r"),
            {"r": record_id},
        ).one()
    assert tuple(links) == (43, 8)
    assert _first_record(engine) == (record_id, name, id_number, batch_id)


def test_register_rebuild_still_works(engine: Engine, collected: int) -> None:
    before = _first_record(engine)
    stats = rebuild_all(engine)
    assert stats["linked"] == collected
    persons = _one(engine, "SELECT COUNT(*) FROM person")
    assert isinstance(persons, int) and 0 < persons <= collected
    assert _one(engine, "SELECT COUNT(*) FROM source_record WHERE person_id IS NULL") == 0
    assert _first_record(engine) == before
    # A second rebuild (nothing left to link) also passes the triggers.
    rebuild_all(engine)
    assert _one(engine, "SELECT COUNT(*) FROM person") == persons


def test_downgrade_drops_the_triggers(engine: Engine, collected: int) -> None:
    record_id, *_ = _first_record(engine)
    downgrade(engine, "c0113c7a0003")
    with engine.begin() as conn:
        conn.execute(text("UPDATE source_record SET name = 'x' WHERE record_id = :r"), {"r": record_id})
        conn.execute(text("DELETE FROM source_record WHERE record_id = :r"), {"r": record_id})
    assert _one(engine, "SELECT COUNT(*) FROM source_record") == collected - 1


def test_every_content_column_is_guarded() -> None:
    """A column added to source_record later must be added to the triggers too (this test says so)."""
    from importlib import import_module

    from padis.collect.models import SourceRecord

    migration = import_module("padis.collect.migrations.c0113c7a0004_source_record_append_only")
    links = {"person_id", "related_person_id"}
    assert set(migration.FROZEN_COLUMNS) == {c.name for c in SourceRecord.__table__.columns} - links
