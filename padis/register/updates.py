"""Agency updates through the register's one mechanism: a claim is a source record, then the batch is applied.

An agency pushing a change (civil affairs reporting a death, say) does not write golden records
itself: its change is stored as a small batch of that agency's source records (provenance: agency,
client, received_at, file "api") and the register's incremental update runs for the persons
concerned — the same path as a collected file. Authority, precedence, conflicts, provenance and the
change feed therefore come from :mod:`padis.register.golden` and :mod:`padis.register.feed`, and a
full rebuild reproduces the change instead of reverting it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass

import polars as pl
from sqlalchemy import Engine, text

from padis.collect.models import DATE_COLUMNS, PERSON_COLUMNS
from padis.collect.service import insert_batch
from padis.errors import InputError
from padis.register.golden import record_column
from padis.register.service import apply_batch, utcnow
from padis.store.bulk import bulk_session

API_FILE = "api"
# The feed event a change of this field is (others are ``update``).
EVENT_OF_FIELD: dict[str, str] = {
    "death_date": "death",
    "marital_status": "marriage",
    "residence_division": "move",
    "registered_division": "hukou_transfer",
}
CLAIM_COLUMNS: tuple[str, ...] = (
    "person_id",
    *PERSON_COLUMNS,
    "event_date",
    "event_type",
    "source_key",
    "record_type",
    "fields",
)


@dataclass(frozen=True)
class FieldUpdate:
    """One field value an agency states about one person already in the register."""

    person_id: int
    field: str
    value: str
    event_date: dt.date | None = None
    source_key: str | None = None


@dataclass(frozen=True)
class UpdateResult:
    """What the register made of one update: ``applied`` (golden now), ``conflict`` or ``stale``."""

    person_id: int
    field: str
    record_id: int
    outcome: str
    event_id: str | None = None


@dataclass(frozen=True)
class RecordedBatch:
    """The batch holding an agency's claims, their record ids (in input order) and the apply stats."""

    batch_id: int
    record_ids: list[int]
    stats: dict[str, int]


def record_claims(
    engine: Engine,
    agency: str,
    claims: pl.DataFrame,
    *,
    client: str,
    file_name: str = API_FILE,
    received_at: dt.datetime | None = None,
) -> RecordedBatch:
    """Store ``claims`` (``CLAIM_COLUMNS``) as one batch of ``agency`` and apply it to the register.

    A claim with ``person_id`` set is about that person (identity resolution leaves it alone);
    without, the register's resolver places it like any collected record.
    """
    unknown = sorted(set(claims.columns) - set(CLAIM_COLUMNS))
    if unknown:
        raise InputError("unknown claim columns", where=f"{agency} update", why=", ".join(unknown))
    if claims.height == 0:
        raise InputError("no claims to record", where=f"{agency} update")
    now = received_at or utcnow()
    record_type = "update"
    frame = claims.with_columns(
        pl.int_range(1, claims.height + 1, dtype=pl.Int32).alias("row_number"),
        *[pl.col(c).cast(pl.Date) for c in DATE_COLUMNS if c in claims.columns],
    )
    if "record_type" not in frame.columns:
        frame = frame.with_columns(pl.lit(record_type).alias("record_type"))
    digest = hashlib.sha256(f"{agency}|{client}|{now.isoformat()}|{uuid.uuid4()}".encode()).hexdigest()
    report = {"client": client, "rows_read": frame.height, "rows_stored": frame.height, "rows_quarantined": 0}
    batch = {
        "agency": agency,
        "dataset": f"{API_FILE}:{client}"[:100],
        "record_type": str(frame.get_column("record_type")[0]),
        "file_name": file_name,
        "file_hash": digest,
        "file_format": API_FILE,
        "encoding": None,
        "parent_batch_id": None,
        "rows_read": frame.height,
        "rows_stored": frame.height,
        "rows_quarantined": 0,
        "report": json.dumps(report, ensure_ascii=False),
        "mapping": json.dumps({"source": API_FILE, "client": client}),
        "received_at": now,
        "committed_at": now,
    }
    with bulk_session(engine) as session:
        batch_id = insert_batch(session, batch)
        session.write(
            "source_record",
            frame,
            constants={"batch_id": batch_id, "agency": agency, "file_hash": digest, "received_at": now},
        )
        if "person_id" in frame.columns and "id_number" in frame.columns:
            # Later records with the same number (collected, resolved by number) find the same person.
            keys = frame.filter(pl.col("person_id").is_not_null() & pl.col("id_number").is_not_null())
            session.write(
                "person_key",
                keys.select(pl.col("id_number").alias("key"), "person_id").unique("key"),
                on_conflict_ignore=True,
            )
        ids = session.execute(
            "SELECT record_id FROM source_record WHERE batch_id = :b ORDER BY row_number", {"b": batch_id}
        )
        record_ids = [int(r[0]) for r in ids]
    stats = apply_batch(engine, batch_id)
    return RecordedBatch(batch_id, record_ids, stats)


def record_updates(
    engine: Engine,
    agency: str,
    updates: list[FieldUpdate],
    *,
    client: str,
    received_at: dt.datetime | None = None,
) -> list[UpdateResult]:
    """Record each field update as a source record of ``agency``, apply, and say which became golden."""
    if not updates:
        return []
    bad = [u.field for u in updates if u.field not in PERSON_COLUMNS or u.field == "id_number"]
    if bad:
        raise InputError("field cannot be updated", where=f"{agency} update", why=", ".join(sorted(set(bad))))
    with engine.connect() as conn:
        known = dict(
            conn.execute(
                text("SELECT person_id, id_number FROM person WHERE person_id IN :p").bindparams(
                    _expanding("p")
                ),
                {"p": sorted({u.person_id for u in updates})},
            ).all()
        )
    missing = [u.person_id for u in updates if u.person_id not in known]
    if missing:
        raise InputError(
            "no such person in the register", where=f"{agency} update", why=f"{len(missing)} ids"
        )
    rows: list[dict[str, object]] = []
    for u in updates:
        value: object = dt.date.fromisoformat(u.value) if u.field in DATE_COLUMNS else u.value
        event_date = u.event_date or (value if u.field == "death_date" else None)
        rows.append(
            {
                "person_id": u.person_id,
                "id_number": known[u.person_id],
                u.field: value,
                "event_date": event_date,
                "event_type": EVENT_OF_FIELD.get(u.field, "update"),
                "source_key": u.source_key,
                "fields": json.dumps({"field": u.field, "client": client}),
            }
        )
    schema: dict[str, pl.DataType] = {
        "person_id": pl.Int64(),
        **{c: (pl.Date() if c in DATE_COLUMNS else pl.String()) for c in PERSON_COLUMNS},
        "event_date": pl.Date(),
        "event_type": pl.String(),
        "source_key": pl.String(),
        "fields": pl.String(),
    }
    claims = pl.DataFrame(rows, schema=schema)
    recorded = record_claims(engine, agency, claims, client=client, received_at=received_at)
    return _outcomes(engine, updates, recorded.record_ids)


def _outcomes(engine: Engine, updates: list[FieldUpdate], record_ids: list[int]) -> list[UpdateResult]:
    """Applied if the golden field points at the new record; conflict if an open one holds the value."""
    pids = sorted({u.person_id for u in updates})
    with engine.connect() as conn:
        fields = sorted({u.field for u in updates})
        cols = ", ".join(record_column(f) for f in fields)
        golden = {
            (int(r[0]), field): r[i + 1]
            for r in conn.execute(
                text(f"SELECT person_id, {cols} FROM person WHERE person_id IN :p").bindparams(
                    _expanding("p")
                ),
                {"p": pids},
            )
            for i, field in enumerate(fields)
        }
        conflicts = {
            (int(r[0]), r[1], r[2])
            for r in conn.execute(
                text(
                    "SELECT person_id, field, other_value FROM conflict "
                    "WHERE status = 'open' AND person_id IN :p"
                ).bindparams(_expanding("p")),
                {"p": pids},
            )
        }
        events = {
            int(r[0]): r[1]
            for r in conn.execute(
                text("SELECT record_id, event_id FROM change_feed WHERE record_id IN :r").bindparams(
                    _expanding("r")
                ),
                {"r": record_ids},
            )
        }
    out = []
    for u, rid in zip(updates, record_ids, strict=True):
        if golden.get((u.person_id, u.field)) == rid:
            outcome = "applied"
        elif (u.person_id, u.field, u.value) in conflicts:
            outcome = "conflict"
        else:
            # Same or higher-ranked agency said something more recent: kept as history only.
            outcome = "stale"
        out.append(UpdateResult(u.person_id, u.field, rid, outcome, events.get(rid)))
    return out


def _expanding(name: str):  # type: ignore[no-untyped-def]
    from sqlalchemy import bindparam

    return bindparam(name, expanding=True)
