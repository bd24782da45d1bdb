"""Subscriptions to register changes: pull from a cursor, or push by webhook through an outbox.

Every event keeps the change feed's ``event_id`` so receivers de-duplicate; the feed is the durable
log, and the outbox row for a webhook stays until the receiver answers 2xx, so nothing is lost while
a receiver is down. Retries back off exponentially (2^attempts seconds, capped, with jitter).
Every delivery is signed with the subscription's secret (:mod:`padis.exchange.signing`).
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import Connection, Engine, text

from padis.errors import InputError
from padis.exchange.signing import SIGNATURE_HEADER, sign, webhook_secret
from padis.exchange.sources import division_contains, now_iso, read_feed
from padis.security.policy import Grant, PolicyDenied

EVENT_TYPES = {
    "death": ("death",),
    "move": ("move", "hukou_transfer"),
    "marriage": ("marriage", "divorce"),
    "birth": ("birth",),
}
BACKOFF_BASE_S = 1.0
BACKOFF_CAP_S = 300.0
FEED_PAGE = 1000


@dataclass(frozen=True)
class SubscriptionInfo:
    """A subscription as stored."""

    subscription_id: int
    client_id: str
    event_types: tuple[str, ...]
    divisions: tuple[str, ...]
    webhook_url: str | None
    active: bool


def _row(r: Any) -> SubscriptionInfo:
    return SubscriptionInfo(
        int(r["subscription_id"]),
        r["client_id"],
        tuple(json.loads(r["event_types"])),
        tuple(json.loads(r["divisions"])),
        r["webhook_url"],
        bool(r["active"]),
    )


def subscribe(
    engine: Engine,
    client_id: str,
    grant: Grant,
    event_types: list[str],
    divisions: list[str],
    webhook_url: str | None = None,
) -> SubscriptionInfo:
    """Create a subscription; its divisions must lie within the grant's."""
    bad = [t for t in event_types if t not in EVENT_TYPES]
    if bad or not event_types:
        raise InputError(
            f"unknown event type(s) {bad}", where="event_types", why="one of " + ", ".join(EVENT_TYPES)
        )
    if not divisions:
        raise InputError("name at least one division", where="divisions")
    for d in divisions:
        if not (d.isdigit() and len(d) in (6, 9, 12)):
            raise InputError("division must be a 6-, 9- or 12-digit code", where="divisions", why=d[:20])
        if not grant.covers(d):
            raise PolicyDenied("division_not_allowed", d)
    if webhook_url is not None and not webhook_url.startswith(("http://", "https://")):
        raise InputError("webhook URL must be http(s)", where="webhook_url")
    with engine.begin() as conn:
        start = conn.execute(text("SELECT COALESCE(MAX(seq), 0) FROM change_feed")).scalar_one()
        conn.execute(
            text(
                "INSERT INTO subscription (client_id, event_types, divisions, webhook_url, enqueued_seq,"
                " active, created_at) VALUES (:c, :t, :d, :u, :s, :a, :at)"
            ),
            {
                "c": client_id,
                "t": json.dumps(sorted(set(event_types))),
                "d": json.dumps(divisions),
                "u": webhook_url,
                "s": int(start),
                "a": True,
                "at": now_iso(),
            },
        )
        r = (
            conn.execute(
                text("SELECT * FROM subscription WHERE client_id = :c ORDER BY subscription_id DESC LIMIT 1"),
                {"c": client_id},
            )
            .mappings()
            .first()
        )
    return _row(r)


def get_subscription(engine: Engine, subscription_id: int, client_id: str | None = None) -> SubscriptionInfo:
    """One subscription (of ``client_id`` when given); ``InputError`` when missing."""
    with engine.connect() as conn:
        r = (
            conn.execute(
                text("SELECT * FROM subscription WHERE subscription_id = :s"), {"s": subscription_id}
            )
            .mappings()
            .first()
        )
    if r is None or (client_id is not None and r["client_id"] != client_id):
        raise InputError(f"no subscription {subscription_id}", where="subscriptions")
    return _row(r)


def _matches(sub: SubscriptionInfo, event: dict[str, Any]) -> bool:
    kinds = {k for t in sub.event_types for k in EVENT_TYPES[t]}
    division = event.get("division")
    return (
        event["event_type"] in kinds
        and bool(division)
        and any(division_contains(d, str(division)) for d in sub.divisions)
    )


def event_message(event: dict[str, Any]) -> dict[str, Any]:
    """The message a subscriber receives for one feed event (no clear-text ids or names)."""
    payload = event.get("payload")
    try:
        body = json.loads(payload) if isinstance(payload, str) else (payload or {})
    except ValueError:
        body = {}
    ed = event.get("event_date")
    return {
        "event_id": str(event["event_id"]),
        "seq": int(event["seq"]),
        "event_type": event["event_type"],
        "division": event.get("division"),
        "event_date": ed.isoformat()[:10] if hasattr(ed, "isoformat") else ed,
        "data": {k: v for k, v in body.items() if k not in ("name",)},
    }


def pull(
    engine: Engine, sub: SubscriptionInfo, cursor: int, limit: int = 100
) -> tuple[list[dict[str, Any]], int]:
    """Matching events after ``cursor`` and the next cursor (the last feed seq examined)."""
    out: list[dict[str, Any]] = []
    with engine.connect() as conn:
        while len(out) < limit:
            page = read_feed(conn, after=cursor, limit=FEED_PAGE)
            if not page:
                break
            for ev in page:
                cursor = int(ev["seq"])
                if _matches(sub, ev):
                    out.append(event_message(ev))
                    if len(out) >= limit:
                        break
    return out, cursor


def fan_out(engine: Engine) -> int:
    """Copy new feed events into the outbox of every active webhook subscription; returns rows added."""
    added = 0
    with engine.begin() as conn:
        subs = (
            conn.execute(
                text("SELECT * FROM subscription WHERE active = :a AND webhook_url IS NOT NULL"), {"a": True}
            )
            .mappings()
            .all()
        )
        for r in subs:
            added += _fan_out_one(conn, _row(r), int(r["enqueued_seq"]))
    return added


def _fan_out_one(conn: Connection, sub: SubscriptionInfo, after: int) -> int:
    added, cursor = 0, after
    while True:
        page = read_feed(conn, after=cursor, limit=FEED_PAGE)
        if not page:
            break
        rows = []
        for ev in page:
            cursor = int(ev["seq"])
            if _matches(sub, ev):
                msg = event_message(ev)
                rows.append(
                    {
                        "s": sub.subscription_id,
                        "e": msg["event_id"],
                        "q": msg["seq"],
                        "p": json.dumps(msg, ensure_ascii=False),
                    }
                )
        for row in rows:
            exists = conn.execute(
                text("SELECT 1 FROM webhook_outbox WHERE subscription_id = :s AND event_id = :e"), row
            ).first()
            if not exists:
                conn.execute(
                    text(
                        "INSERT INTO webhook_outbox (subscription_id, event_id, seq, payload, attempts,"
                        " next_attempt_at) VALUES (:s, :e, :q, :p, 0, 0)"
                    ),
                    row,
                )
                added += 1
    conn.execute(
        text("UPDATE subscription SET enqueued_seq = :c WHERE subscription_id = :s"),
        {"c": cursor, "s": sub.subscription_id},
    )
    return added


def backoff_ms(attempts: int) -> int:
    """Delay before the next try after ``attempts`` failures: 2^n seconds, capped, +-20 % jitter."""
    delay = min(BACKOFF_CAP_S, BACKOFF_BASE_S * (2 ** max(attempts - 1, 0)))
    return int(delay * random.uniform(0.8, 1.2) * 1000)


def deliver(
    engine: Engine, *, client: httpx.Client | None = None, limit: int = 200, now_ms: int | None = None
) -> dict[str, int]:
    """Try every due outbox row once; returns counts of delivered and failed."""
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    own = client is None
    http = client or httpx.Client(timeout=5.0)
    stats = {"delivered": 0, "failed": 0}
    try:
        with engine.connect() as conn:
            due = conn.execute(
                text(
                    "SELECT o.outbox_id, o.event_id, o.payload, o.attempts, s.webhook_url, s.subscription_id"
                    " FROM webhook_outbox o"
                    " JOIN subscription s ON s.subscription_id = o.subscription_id"
                    " WHERE o.delivered_at IS NULL AND o.next_attempt_at <= :now ORDER BY o.seq LIMIT :n"
                ),
                {"now": now_ms, "n": limit},
            ).all()
        for outbox_id, event_id, payload, attempts, url, subscription_id in due:
            error = None
            body = payload.encode()
            headers = {
                "Content-Type": "application/json",
                "X-Padis-Event-Id": event_id,
                "X-Padis-Subscription": str(subscription_id),
                SIGNATURE_HEADER: sign(webhook_secret(subscription_id), body),
            }
            try:
                resp = http.post(url, content=body, headers=headers)
                if not 200 <= resp.status_code < 300:
                    error = f"HTTP {resp.status_code}"
            except httpx.HTTPError as exc:
                error = type(exc).__name__
            with engine.begin() as conn:
                if error is None:
                    conn.execute(
                        text(
                            "UPDATE webhook_outbox SET delivered_at = :at, attempts = :n WHERE outbox_id = :i"
                        ),
                        {"at": now_iso(), "n": attempts + 1, "i": outbox_id},
                    )
                    stats["delivered"] += 1
                else:
                    conn.execute(
                        text(
                            "UPDATE webhook_outbox SET attempts = :n, next_attempt_at = :t,"
                            " last_error = :e WHERE outbox_id = :i"
                        ),
                        {
                            "n": attempts + 1,
                            "t": now_ms + backoff_ms(attempts + 1),
                            "e": error,
                            "i": outbox_id,
                        },
                    )
                    stats["failed"] += 1
    finally:
        if own:
            http.close()
    return stats


def pending(engine: Engine) -> int:
    """Outbox rows not yet delivered."""
    with engine.connect() as conn:
        return int(
            conn.execute(text("SELECT COUNT(*) FROM webhook_outbox WHERE delivered_at IS NULL")).scalar_one()
        )
