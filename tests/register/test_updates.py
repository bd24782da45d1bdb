"""Agency updates go through the register: they survive a full golden rebuild, conflicts included."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from sqlalchemy import text

from padis.errors import InputError
from padis.exchange.agreements import PRINCIPALS, load_client
from padis.exchange.fixtures import build_world
from padis.exchange.update import Change, apply_changes
from padis.register.feed import read_feed
from padis.register.service import rebuild_all
from padis.register.updates import FieldUpdate, record_claims, record_updates
from padis.security.policy import authorize


@pytest.fixture(autouse=True)
def _cheap(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PADIS_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("PADIS_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("PADIS_HOME", str(tmp_path / "home"))
    from padis.settings import get_settings

    get_settings.cache_clear()
    PRINCIPALS.clear()


def _grant(engine, client, fields):  # type: ignore[no-untyped-def]
    principal = load_client(engine, client)
    purpose = sorted(principal.agreements[0].purposes)[0]
    return authorize(principal, "update", purpose=purpose, fields=fields)


def _golden(engine, pid):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        person = conn.execute(
            text("SELECT name, death_date, status FROM person WHERE person_id = :p"), {"p": pid}
        ).one()
        prov = dict(
            conn.execute(
                text("SELECT field, agency FROM person_field WHERE person_id = :p"), {"p": pid}
            ).all()
        )
        conflicts = conn.execute(
            text("SELECT field, other_value, other_agency, status FROM conflict WHERE person_id = :p"),
            {"p": pid},
        ).all()
    return person, prov, conflicts


def test_exchange_updates_survive_full_rebuild(engine):  # type: ignore[no-untyped-def]
    world = build_world(engine)
    bj = world.persons.filter(pl.col("registered_division") == "110105").row(0, named=True)
    zj = world.persons.filter(pl.col("registered_division") == "330102").row(0, named=True)
    death = apply_changes(
        engine,
        "civil_affairs",
        _grant(engine, "civil_affairs_bj", ["death_date"]),
        [Change(bj["id_number"], "death_date", "2026-11-30")],
        client="civil_affairs_bj",
    )
    rename = apply_changes(
        engine,
        "education",
        _grant(engine, "education_zj", ["name"]),
        [Change(zj["id_number"], "name", "改名")],
    )
    assert death[0].outcome == "applied" and rename[0].outcome == "conflict"
    before = (_golden(engine, bj["person_id"]), _golden(engine, zj["person_id"]))
    stats = rebuild_all(engine)
    after = (_golden(engine, bj["person_id"]), _golden(engine, zj["person_id"]))
    assert stats["persons"] == world.persons.height
    assert after == before
    (person, prov, _), (zperson, _, zconflicts) = after
    assert str(person[1])[:10] == "2026-11-30" and person[2] == "deceased"
    assert prov["death_date"] == "civil_affairs" and prov["name"] == "public_security"
    assert zperson[0] == zj["name"]
    assert [tuple(c) for c in zconflicts] == [("name", "改名", "education", "open")]
    # The feed holds the death once: the rebuild does not replay it.
    deaths = [e for e in read_feed(engine) if e.event_type == "death"]
    assert [e.event_id for e in deaths] == [death[0].event_id]
    with engine.connect() as conn:
        batch = conn.execute(
            text(
                "SELECT b.agency, b.file_name, b.dataset FROM batch b JOIN source_record s USING (batch_id) "
                "WHERE s.person_id = :p AND s.death_date IS NOT NULL"
            ),
            {"p": bj["person_id"]},
        ).one()
    assert tuple(batch) == ("civil_affairs", "api", "api:civil_affairs_bj")


def test_record_updates_field_update_event_and_errors(engine):  # type: ignore[no-untyped-def]
    world = build_world(engine, n_persons=10)
    p = world.persons.row(0, named=True)
    out = record_updates(
        engine,
        "public_security",
        [
            FieldUpdate(p["person_id"], "name", "新名", None, "ps-1"),
            # Older than what public security said already: history, not the golden value.
            FieldUpdate(p["person_id"], "sex", "9", dt.date(2000, 1, 5), "ps-2"),
        ],
        client="ps_node",
    )
    assert out[0].outcome == "applied" and out[0].event_id
    assert out[1].outcome == "stale" and out[1].event_id is None
    events = [e for e in read_feed(engine) if e.event_id == out[0].event_id]
    assert events[0].event_type == "update" and events[0].payload["agency"] == "public_security"
    rebuild_all(engine)
    person, prov, _ = _golden(engine, p["person_id"])
    assert person[0] == "新名" and prov["name"] == "public_security"
    with pytest.raises(InputError):
        record_updates(engine, "health", [FieldUpdate(10**12, "name", "x")], client="c")
    with pytest.raises(InputError):
        record_updates(engine, "health", [FieldUpdate(p["person_id"], "id_number", "x")], client="c")
    with pytest.raises(InputError):
        record_claims(engine, "health", pl.DataFrame({"password": ["x"]}), client="c")
