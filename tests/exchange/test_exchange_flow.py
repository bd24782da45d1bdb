"""Update (authority vs conflict), change feed, pull subscriptions and webhooks that survive downtime."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import text

from padis.exchange.agreements import load_client
from padis.exchange.fixtures import build_world
from padis.exchange.signing import SIGNATURE_HEADER, verify, webhook_secret
from padis.exchange.subscriptions import deliver, fan_out, pending, pull, subscribe
from padis.exchange.update import Change, apply_changes
from padis.security.policy import authorize


def _grant(engine, client, service, fields=None):  # type: ignore[no-untyped-def]
    principal = load_client(engine, client)
    purpose = sorted(principal.agreements[0].purposes)[0]
    return principal, authorize(principal, service, purpose=purpose, fields=fields)


def _person(world, division):  # type: ignore[no-untyped-def]
    return world.persons.filter(world.persons["registered_division"] == division).row(0, named=True)


def test_authoritative_death_updates_register_and_feed(engine):  # type: ignore[no-untyped-def]
    world = build_world(engine)
    p = _person(world, "110105")
    principal, grant = _grant(engine, "civil_affairs_bj", "update", ["death_date"])
    out = apply_changes(engine, principal.agency, grant, [Change(p["id_number"], "death_date", "2026-11-30")])
    assert out[0].outcome == "applied" and out[0].event_id
    with engine.connect() as conn:
        status, death = conn.execute(
            text("SELECT status, death_date FROM person WHERE person_id = :i"), {"i": p["person_id"]}
        ).first()
        feed = conn.execute(text("SELECT event_type, event_id, division FROM change_feed")).all()
        prov = conn.execute(
            text("SELECT agency FROM person_field WHERE person_id = :i AND field = 'death_date'"),
            {"i": p["person_id"]},
        ).scalar()
    assert status == "deceased" and str(death)[:10] == "2026-11-30"
    assert [(f[0], f[1], f[2]) for f in feed] == [("death", out[0].event_id, "110105")]
    assert prov == "civil_affairs"


def test_non_authoritative_update_is_a_conflict(engine):  # type: ignore[no-untyped-def]
    world = build_world(engine)
    p = _person(world, "330102")
    principal, grant = _grant(engine, "education_zj", "update", ["name"])
    out = apply_changes(engine, principal.agency, grant, [Change(p["id_number"], "name", "改名")])
    assert out[0].outcome == "conflict"
    with engine.connect() as conn:
        name = conn.execute(
            text("SELECT name FROM person WHERE person_id = :i"), {"i": p["person_id"]}
        ).scalar()
        conflict = conn.execute(
            text("SELECT field, golden_value, other_value, other_agency, status FROM conflict")
        ).first()
        feed = conn.execute(text("SELECT COUNT(*) FROM change_feed")).scalar()
    assert name == p["name"]
    assert tuple(conflict) == ("name", p["name"], "改名", "education", "open")
    assert feed == 0


def test_pull_subscription_filters_types_and_divisions(engine):  # type: ignore[no-untyped-def]
    world = build_world(engine)
    principal, grant = _grant(engine, "civil_affairs_bj", "subscribe")
    sub = subscribe(engine, "civil_affairs_bj", grant, ["death"], ["110105"])
    _, ugrant = _grant(engine, "civil_affairs_bj", "update", ["death_date", "marital_status"])
    a, b = _person(world, "110105"), _person(world, "110108")
    apply_changes(
        engine,
        "civil_affairs",
        ugrant,
        [
            Change(a["id_number"], "death_date", "2026-11-01"),
            Change(b["id_number"], "death_date", "2026-11-02"),
            Change(a["id_number"], "marital_status", "30"),
        ],
    )
    events, cursor = pull(engine, sub, 0)
    assert [e["event_type"] for e in events] == ["death"] and events[0]["division"] == "110105"
    assert "id_number" not in json.dumps(events) or "*" in events[0]["data"]["id_number"]
    again, cursor2 = pull(engine, sub, cursor)
    assert again == [] and cursor2 == cursor


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Receiver(BaseHTTPRequestHandler):
    received: list[str] = []
    signed: list[tuple[str, str, bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.received.append(self.headers["X-Padis-Event-Id"])
        _Receiver.signed.append((self.headers["X-Padis-Subscription"], self.headers[SIGNATURE_HEADER], body))
        assert json.loads(body)["event_id"] == self.headers["X-Padis-Event-Id"]
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
        pass


@pytest.mark.slow
def test_webhook_receiver_down_then_up_gets_every_event(engine):  # type: ignore[no-untyped-def]
    world = build_world(engine, n_persons=90)
    port = _free_port()
    _, grant = _grant(engine, "civil_affairs_bj", "subscribe")
    sub = subscribe(
        engine, "civil_affairs_bj", grant, ["death"], ["110000"], webhook_url=f"http://127.0.0.1:{port}/hook"
    )
    _, ugrant = _grant(engine, "civil_affairs_bj", "update", ["death_date"])
    targets = world.persons.filter(world.persons["registered_division"].is_in(["110105", "110108"])).head(12)
    apply_changes(
        engine, "civil_affairs", ugrant, [Change(i, "death_date", "2026-10-10") for i in targets["id_number"]]
    )
    assert fan_out(engine) == 12
    now = int(time.time() * 1000)
    down = deliver(engine, now_ms=now)  # receiver down: every attempt fails and backs off
    assert down == {"delivered": 0, "failed": 12} and pending(engine) == 12
    assert deliver(engine, now_ms=now + 10)["failed"] == 0  # not yet due: back-off respected
    down2 = deliver(engine, now_ms=now + 5_000)
    assert down2["failed"] == 12
    with engine.connect() as conn:
        attempts = {r[0] for r in conn.execute(text("SELECT attempts FROM webhook_outbox"))}
    assert attempts == {2}
    _Receiver.received, _Receiver.signed = [], []
    server = ThreadingHTTPServer(("127.0.0.1", port), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        # More events arrive while it was down; then one run after the back-off delivers all.
        apply_changes(
            engine,
            "civil_affairs",
            ugrant,
            [Change(i, "death_date", "2026-10-11") for i in targets["id_number"][:3]],
        )
        fan_out(engine)
        up = deliver(engine, now_ms=now + 600_000)
    finally:
        server.shutdown()
        server.server_close()
    assert up == {"delivered": 15, "failed": 0} and pending(engine) == 0
    with engine.connect() as conn:
        ids = {
            r[0] for r in conn.execute(text("SELECT event_id FROM change_feed WHERE event_type = 'death'"))
        }
    assert set(_Receiver.received) == ids and len(ids) == 15
    # Every delivery is signed for this subscription; the receiver can tell a forged or altered one.
    secret = webhook_secret(sub.subscription_id)
    assert {s for s, _, _ in _Receiver.signed} == {str(sub.subscription_id)}
    assert all(verify(secret, header, body) for _, header, body in _Receiver.signed)
    assert not any(verify(secret, header, body + b" ") for _, header, body in _Receiver.signed)
