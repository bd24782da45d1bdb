"""Register operations: apply a batch (identity, golden records, conflicts, feed), rebuild, look up."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, text

from padis.errors import InputError
from padis.register.feed import write_batch_events, write_merge_events
from padis.register.golden import DERIVED_FROM_ID, GOLDEN_FIELDS, analyze, rebuild
from padis.register.identity import RESOLVE_COLUMNS, PersonResolver, get_resolver
from padis.store.bulk import bulk_session, write_arrow


def utcnow() -> dt.datetime:
    """Current UTC time, naive (as stored)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# What a record says of its second party: the party's identity number (and the record's own keys).
RECORD_COLUMNS: tuple[str, ...] = ("record_id", "agency", "record_type", "id_number")


def _unresolved(
    engine: Engine, batch_id: int | None, column: str, wanted: tuple[str, ...] = RESOLVE_COLUMNS
) -> pl.DataFrame:
    """Records (of one batch, or all) whose ``column`` person id is still unknown, with ``wanted`` columns.

    A record's subject is offered with or without an identity number (a probabilistic resolver can
    place it by name, birth date and division); a second party only with its number (nothing else
    about it is on the record).
    """
    if column == "person_id":
        cols = ", ".join(wanted)
        where = "person_id IS NULL AND (id_number IS NOT NULL OR name IS NOT NULL)"
    else:
        # The record's name, sex, birth date and divisions are its subject's (a newborn's, say), not
        # the second party's: offering them with the mother's number made a stranger of the mother.
        cols = ", ".join(
            "related_id_number AS id_number" if c == "id_number" else c for c in wanted if c in RECORD_COLUMNS
        )
        where = "related_person_id IS NULL AND related_id_number IS NOT NULL"
    where += " AND batch_id = :b" if batch_id is not None else ""
    with bulk_session(engine) as session:
        table = session.read(
            f"SELECT {cols} FROM source_record WHERE {where}", {"b": batch_id} if batch_id else {}
        )
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    absent = [pl.lit(None, pl.String).alias(c) for c in wanted if c not in frame.columns]
    return frame.with_columns(
        pl.col("record_id").cast(pl.Int64), pl.col("id_number").cast(pl.String), *absent
    ).select(wanted)


def _set_person_ids(conn: Connection, mapping: pl.DataFrame, column: str) -> int:
    """Write resolved ids onto source records through a temp table (one UPDATE)."""
    if mapping.height == 0:
        return 0
    conn.exec_driver_sql("DROP TABLE IF EXISTS _resolved")
    conn.exec_driver_sql("CREATE TEMP TABLE _resolved (record_id BIGINT PRIMARY KEY, person_id BIGINT)")
    write_arrow(
        conn,
        "_resolved",
        mapping.select(pl.col("record_id").cast(pl.Int64), pl.col("person_id").cast(pl.Int64)),
    )
    analyze(conn, "_resolved")
    n = conn.exec_driver_sql(
        f"UPDATE source_record SET {column} = r.person_id FROM _resolved AS r "
        "WHERE r.record_id = source_record.record_id"
    ).rowcount
    conn.exec_driver_sql("DROP TABLE _resolved")
    return int(n or 0)


def _tune(conn: Connection) -> None:
    """Settings for one register transaction (set-based statements over many records)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA temp_store=MEMORY")
        conn.exec_driver_sql("PRAGMA cache_size=-262144")
        return
    # Hash joins and sorts over every record stay in memory instead of spilling in batches;
    # JIT compiling each statement costs more (~0.3 s each) than it saves here.
    conn.exec_driver_sql("SET LOCAL work_mem = '256MB'")
    conn.exec_driver_sql("SET LOCAL jit = off")


def _resolve(engine: Engine, resolver: PersonResolver, batch_id: int | None) -> dict[str, pl.DataFrame]:
    out = {}
    for column in ("person_id", "related_person_id"):
        records = _unresolved(engine, batch_id, column, getattr(resolver, "columns", RESOLVE_COLUMNS))
        out[column] = (
            resolver.resolve(engine, records)
            if records.height
            else pl.DataFrame(schema={"record_id": pl.Int64, "person_id": pl.Int64})
        )
    return out


def apply_batch(engine: Engine, batch_id: int, *, resolver: PersonResolver | None = None) -> dict[str, int]:
    """Bring the register up to date with one committed batch, in one transaction with its feed events."""
    resolver = resolver or get_resolver()
    resolved = _resolve(engine, resolver, batch_id)
    now = utcnow()
    with engine.begin() as conn:
        _tune(conn)
        linked = sum(_set_person_ids(conn, resolved[c], c) for c in resolved)
        conn.exec_driver_sql("DROP TABLE IF EXISTS _scope")
        conn.exec_driver_sql("CREATE TEMP TABLE _scope (person_id BIGINT PRIMARY KEY)")
        conn.execute(
            text(
                "INSERT INTO _scope (person_id) SELECT person_id FROM source_record "
                "WHERE batch_id = :b AND person_id IS NOT NULL "
                "UNION SELECT related_person_id FROM source_record "
                "WHERE batch_id = :b AND related_person_id IS NOT NULL"
            ),
            {"b": batch_id},
        )
        stats = rebuild(conn, scoped=True, now=now)
        events = write_batch_events(conn, batch_id, now)
        conn.execute(
            text("UPDATE batch SET applied_at = :now WHERE batch_id = :b"), {"now": now, "b": batch_id}
        )
        conn.exec_driver_sql("DROP TABLE _scope")
    return {
        "linked": linked,
        "persons": stats["persons"],
        "new_conflicts": stats["new_conflicts"],
        "events": events,
    }


def reassign(engine: Engine, moved: pl.DataFrame) -> dict[str, int]:
    """Move records to other persons (``record_id, person_id``), as a relink after clerical review does.

    In one transaction: the records move, a person left without records hands its second-party
    references (a spouse, a mother) and conflicts to the person that took its records, and the golden
    records on both sides are rebuilt; a person with no records left is removed and a ``merge`` event
    in the change feed names the person it became.
    """
    if moved.height == 0:
        return {"persons": 0, "merged": 0, "new_conflicts": 0}
    now = utcnow()
    with engine.begin() as conn:
        _tune(conn)
        for table in ("_moved", "_scope", "_gone"):
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
        conn.exec_driver_sql("CREATE TEMP TABLE _moved (record_id BIGINT PRIMARY KEY, person_id BIGINT)")
        write_arrow(
            conn,
            "_moved",
            moved.select(pl.col("record_id").cast(pl.Int64), pl.col("person_id").cast(pl.Int64)),
        )
        conn.exec_driver_sql("CREATE TEMP TABLE _scope (person_id BIGINT PRIMARY KEY)")
        conn.exec_driver_sql(
            "INSERT INTO _scope (person_id) SELECT s.person_id FROM source_record s "
            "JOIN _moved m ON m.record_id = s.record_id WHERE s.person_id IS NOT NULL "
            "UNION SELECT person_id FROM _moved"
        )
        # persons all of whose records move: their old id now means the person their records went to
        conn.exec_driver_sql(
            "CREATE TEMP TABLE _gone AS SELECT s.person_id AS old_id, MIN(m.person_id) AS new_id "
            "FROM source_record s JOIN _moved m ON m.record_id = s.record_id GROUP BY s.person_id "
            "HAVING COUNT(*) = (SELECT COUNT(*) FROM source_record r WHERE r.person_id = s.person_id)"
        )
        _set_person_ids(conn, moved, "person_id")
        conn.exec_driver_sql(
            "UPDATE source_record SET related_person_id = g.new_id FROM _gone g "
            "WHERE source_record.related_person_id = g.old_id"
        )
        conn.exec_driver_sql(
            "UPDATE conflict SET person_id = g.new_id FROM _gone g WHERE conflict.person_id = g.old_id"
        )
        merged = int(conn.exec_driver_sql("SELECT COUNT(*) FROM _gone").scalar_one())
        stats = rebuild(conn, scoped=True, now=now)
        write_merge_events(conn, now)
        for table in ("_moved", "_scope", "_gone"):
            conn.exec_driver_sql(f"DROP TABLE {table}")
    return {"persons": stats["persons"], "merged": merged, "new_conflicts": stats["new_conflicts"]}


def rebuild_all(engine: Engine, *, resolver: PersonResolver | None = None) -> dict[str, int]:
    """Resolve every unresolved record and rebuild every golden record from scratch."""
    resolver = resolver or get_resolver()
    resolved = _resolve(engine, resolver, None)
    now = utcnow()
    with engine.begin() as conn:
        _tune(conn)
        linked = sum(_set_person_ids(conn, resolved[c], c) for c in resolved)
        stats = rebuild(conn, scoped=False, now=now)
        pending = [r[0] for r in conn.exec_driver_sql("SELECT batch_id FROM batch WHERE applied_at IS NULL")]
        events = sum(write_batch_events(conn, b, now) for b in pending)
        conn.execute(text("UPDATE batch SET applied_at = :now WHERE applied_at IS NULL"), {"now": now})
    return {"linked": linked, **stats, "events": events}


def _person_id(conn: Connection, ident: str) -> int:
    """A person id from a person id or an identity number."""
    row = conn.execute(
        text("SELECT person_id FROM person WHERE id_number = :i"), {"i": ident.upper()}
    ).first()
    if row is None and ident.isdigit() and len(ident) < 15:
        row = conn.execute(
            text("SELECT person_id FROM person WHERE person_id = :p"), {"p": int(ident)}
        ).first()
    if row is None and ident.isdigit() and len(ident) < 15:
        merged = conn.execute(
            text(
                "SELECT payload FROM change_feed WHERE event_type = 'merge' AND person_id = :p "
                "ORDER BY seq DESC"
            ),
            {"p": int(ident)},
        ).first()
        if merged is not None:
            into = json.loads(merged[0]).get("merged_into")
            raise InputError(
                f"person {ident} was merged into person {into}",
                where=f"person {ident}",
                why="a relink after clerical review found its records belong to that person",
            )
    if row is None:
        raise InputError("no such person in the register", where=f"person {_mask(ident)}")
    return int(row[0])


def _mask(ident: str) -> str:
    from padis.standards.idnumber import mask_id

    return mask_id(ident) if len(ident) >= 15 else ident


def show_person(engine: Engine, ident: str) -> dict[str, Any]:
    """The golden record of one person with each field's provenance and open conflicts."""
    with engine.connect() as conn:
        pid = _person_id(conn, ident)
        cols = ", ".join(("person_id", *GOLDEN_FIELDS, "status", "updated_at"))
        person = dict(
            conn.execute(text(f"SELECT {cols} FROM person WHERE person_id = :p"), {"p": pid}).mappings().one()
        )
        fields = [
            dict(r)
            for r in conn.execute(
                text(
                    "SELECT field, value, agency, record_id, as_of FROM person_field "
                    "WHERE person_id = :p ORDER BY field"
                ),
                {"p": pid},
            ).mappings()
        ]
        # a birth date or sex read from the identity number: its record gave the number, not the value
        for f in fields:
            f["derived"] = False
            if f["field"] in DERIVED_FROM_ID and f["record_id"] is not None:
                f["derived"] = bool(
                    conn.execute(
                        text(f"SELECT {f['field']} IS NULL FROM source_record WHERE record_id = :r"),
                        {"r": f["record_id"]},
                    ).scalar_one()
                )
        conflicts = [
            dict(r)
            for r in conn.execute(
                text("SELECT * FROM conflict WHERE person_id = :p AND status = 'open' ORDER BY conflict_id"),
                {"p": pid},
            ).mappings()
        ]
    return {"person": person, "fields": fields, "conflicts": conflicts}


def person_history(engine: Engine, ident: str) -> list[dict[str, Any]]:
    """Who said what about a person, when: every source record's claims, oldest first.

    ``role`` is ``subject`` for the person's own records and ``second_party`` where the person is the
    spouse, mother, … of another record's subject (its values are about that subject).
    """
    from padis.collect.models import PERSON_COLUMNS

    cols = ", ".join(f"s.{c}" for c in PERSON_COLUMNS)
    with engine.connect() as conn:
        pid = _person_id(conn, ident)
        rows = conn.execute(
            text(
                "SELECT s.record_id, s.agency, s.record_type, s.batch_id, b.file_name, s.row_number, "
                "CASE WHEN s.person_id = :p THEN 'subject' ELSE 'second_party' END AS role, "
                f"s.received_at, s.event_date, s.event_type, {cols} "
                "FROM source_record s JOIN batch b ON b.batch_id = s.batch_id "
                "WHERE s.person_id = :p OR s.related_person_id = :p ORDER BY s.received_at, s.record_id"
            ),
            {"p": pid},
        ).mappings()
        return [dict(r) for r in rows]
