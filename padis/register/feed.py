"""The change feed: life events in commit order, read by subscribers from a ``seq`` cursor."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, text

from padis.register.golden import GOLDEN_FIELDS, record_column

LIFE_EVENTS: tuple[str, ...] = ("birth", "death", "marriage", "divorce", "move", "hukou_transfer")


@dataclass(frozen=True)
class FeedEvent:
    """One change-feed entry (the ``change_feed`` row; ``payload`` decoded)."""

    seq: int
    event_id: str
    event_type: str
    person_id: int | None
    division: str | None
    event_date: dt.date | None
    payload: dict[str, Any]
    recorded_at: dt.datetime


def _uuid_sql(conn: Connection) -> str:
    if conn.dialect.name == "postgresql":
        return "CAST(gen_random_uuid() AS TEXT)"

    def rnd(n: int) -> str:
        return f"lower(hex(randomblob({n})))"

    # A version-4 UUID from random bytes, each part drawn per row (SQLite has no uuid function).
    return (
        f"{rnd(4)}||'-'||{rnd(2)}||'-4'||substr({rnd(2)},2)||'-'||"
        f"substr('89ab',1+(abs(random())%4),1)||substr({rnd(2)},2)||'-'||{rnd(6)}"
    )


def _json_sql(conn: Connection, pairs: str) -> str:
    """A JSON object as text from ``'key', value, …`` pairs, in the dialect's own function."""
    if conn.dialect.name == "postgresql":
        return f"CAST(json_build_object({pairs}) AS TEXT)"
    return f"json_object({pairs})"


def _payload_sql(conn: Connection) -> str:
    return _json_sql(
        conn,
        "'agency', s.agency, 'record_type', s.record_type, 'batch_id', s.batch_id, "
        "'source_key', s.source_key, 'related_person_id', s.related_person_id",
    )


def _lock_feed(conn: Connection) -> None:
    """Writers take turns on PostgreSQL: sequence numbers become visible in order, no cursor skips a row."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("LOCK TABLE change_feed IN SHARE ROW EXCLUSIVE MODE")


def _record_columns(alias: str) -> str:
    return ", ".join(f"{alias}.{record_column(f)}" for f in GOLDEN_FIELDS)


def write_batch_events(conn: Connection, batch_id: int, now: dt.datetime) -> int:
    """Append one event per life-event record of the batch (once per record), in event-date order.

    An event already in the feed is not written again: the same person, type and date (two agencies
    reporting one death), or the same agency's record (agency, source key, type, date) sent again.
    Records of type ``update`` (an agency's field update) make an event only when they won the field.
    """
    _lock_feed(conn)
    types = ", ".join(f"'{t}'" for t in LIFE_EVENTS)
    result = conn.execute(
        text(
            "INSERT INTO change_feed (event_id, event_type, person_id, division, event_date, payload, "
            "recorded_at, record_id, agency, source_key) "
            f"SELECT {_uuid_sql(conn)}, s.event_type, s.person_id, "
            "COALESCE(s.residence_division, s.registered_division, "
            "p.residence_division, p.registered_division), "
            f"s.event_date, {_payload_sql(conn)}, :now, s.record_id, s.agency, s.source_key "
            "FROM source_record s LEFT JOIN person p ON p.person_id = s.person_id "
            f"WHERE s.batch_id = :b AND (s.event_type IN ({types}) "
            # A field update (from an agency's API call) is news only when it became the golden value.
            "OR (COALESCE(s.event_type, '') = 'update' AND EXISTS (SELECT 1 FROM person w "
            f"WHERE w.person_id = s.person_id AND s.record_id IN ({_record_columns('w')})))) "
            "AND NOT EXISTS (SELECT 1 FROM change_feed f WHERE f.record_id = s.record_id) "
            # Two agencies reporting the same death (say) make one event, not two.
            "AND NOT EXISTS (SELECT 1 FROM change_feed g WHERE g.person_id = s.person_id "
            "AND g.event_type = s.event_type AND g.event_date = s.event_date) "
            # The same agency sending the same record again (a cumulative export, a re-encoded file)
            # makes no second event, also while the person is unknown (a newborn without an ID number).
            # Field updates are exempt: one agency may update the same record's field twice in a day.
            "AND (s.event_type = 'update' OR NOT EXISTS (SELECT 1 FROM change_feed h "
            "WHERE h.agency = s.agency AND h.source_key = s.source_key AND h.event_type = s.event_type "
            "AND (h.event_date = s.event_date OR (h.event_date IS NULL AND s.event_date IS NULL)))) "
            "ORDER BY s.event_date, s.record_id"
        ),
        {"b": batch_id, "now": now},
    )
    return int(result.rowcount or 0)


def write_merge_events(conn: Connection, now: dt.datetime) -> int:
    """One ``merge`` event per person of temp table ``_gone`` (old_id → new_id): subscribers that hold
    the old id learn which person it now is (its records, and their life events, belong to new_id)."""
    payload = _json_sql(conn, "'merged_into', g.new_id")
    _lock_feed(conn)
    result = conn.execute(
        text(
            "INSERT INTO change_feed (event_id, event_type, person_id, division, event_date, payload, "
            f"recorded_at) SELECT {_uuid_sql(conn)}, 'merge', g.old_id, "
            f"COALESCE(p.residence_division, p.registered_division), NULL, {payload}, :now "
            "FROM _gone g LEFT JOIN person p ON p.person_id = g.new_id ORDER BY g.old_id"
        ),
        {"now": now},
    )
    return int(result.rowcount or 0)


def _scope_clause(divisions: Sequence[str]) -> tuple[str, dict[str, str]]:
    """Division filter: a province (xx0000) or prefecture (xxxx00) code covers the codes under it."""
    parts, params = [], {}
    for i, code in enumerate(divisions):
        if code.endswith("0000"):
            parts.append(f"substr(division, 1, 2) = :d{i}")
            params[f"d{i}"] = code[:2]
        elif code.endswith("00"):
            parts.append(f"substr(division, 1, 4) = :d{i}")
            params[f"d{i}"] = code[:4]
        else:
            parts.append(f"division = :d{i}")
            params[f"d{i}"] = code
    return "(" + " OR ".join(parts) + ")", params


def read_feed(
    engine: Engine | Connection,
    after_seq: int = 0,
    limit: int = 1000,
    event_types: Sequence[str] | None = None,
    divisions: Sequence[str] | None = None,
) -> list[FeedEvent]:
    """Events with ``seq > after_seq`` in order (at most ``limit``), optionally by type and division."""
    where = ["seq > :after"]
    params: dict[str, Any] = {"after": after_seq, "limit": limit}
    if event_types:
        names = [f"t{i}" for i in range(len(event_types))]
        where.append(f"event_type IN ({', '.join(':' + n for n in names)})")
        params.update(dict(zip(names, event_types, strict=True)))
    if divisions:
        clause, dparams = _scope_clause(list(divisions))
        where.append(clause)
        params.update(dparams)
    sql = text(
        "SELECT seq, event_id, event_type, person_id, division, event_date, payload, recorded_at "
        f"FROM change_feed WHERE {' AND '.join(where)} ORDER BY seq LIMIT :limit"
    )
    if isinstance(engine, Connection):
        rows = engine.execute(sql, params).fetchall()
    else:
        with engine.connect() as conn:
            rows = conn.execute(sql, params).fetchall()
    return [
        FeedEvent(
            seq=int(r[0]),
            event_id=r[1],
            event_type=r[2],
            person_id=r[3],
            division=r[4],
            event_date=dt.date.fromisoformat(r[5]) if isinstance(r[5], str) else r[5],
            payload=json.loads(r[6]) if r[6] else {},
            recorded_at=dt.datetime.fromisoformat(r[7]) if isinstance(r[7], str) else r[7],
        )
        for r in rows
    ]
