"""The register copy used by verification follows updates and removals."""

from __future__ import annotations

from sqlalchemy import text

from padis.exchange.agreements import load_client
from padis.exchange.fixtures import build_world
from padis.exchange.update import Change, apply_changes
from padis.security.policy import authorize
from padis.verify.register_cache import RegisterCache


def test_cache_refreshes_changed_rows(engine):  # type: ignore[no-untyped-def]
    world = build_world(engine, n_persons=40)
    cache = RegisterCache()
    first = cache.get(engine)
    assert first.height == world.persons.height and cache.get(engine) is first
    person = world.persons.filter(world.persons["registered_division"] == "110105").row(0, named=True)
    principal = load_client(engine, "civil_affairs_bj")
    grant = authorize(principal, "update", purpose="social_assistance", fields=["death_date"])
    apply_changes(engine, "civil_affairs", grant, [Change(person["id_number"], "death_date", "2026-01-01")])
    second = cache.get(engine)
    status = second.filter(second["person_id"] == person["person_id"])["status"].to_list()
    assert status == ["deceased"] and second.height == first.height
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM person WHERE person_id = :p"), {"p": person["person_id"]})
    assert cache.get(engine).height == first.height - 1
