"""Put persons into the register for tests, the benchmark and the demo.

Uses the register's own tables; while the register package has not created them, makes minimal
tables with the contract's columns (docs/contracts.md) so exchange can be exercised on its own.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    inspect,
)

from padis.store.bulk import write_arrow

_meta = MetaData()
BigInt = BigInteger().with_variant(Integer, "sqlite")
_person = Table(
    "person",
    _meta,
    Column("person_id", BigInt, primary_key=True),
    Column("id_number", String(18), index=True, unique=True),
    Column("name", String(64)),
    Column("sex", String(1)),
    Column("birth_date", Date),
    Column("ethnicity", String(2)),
    Column("education", String(4)),
    Column("marital_status", String(2)),
    Column("hukou_type", String(2)),
    Column("registered_division", String(12)),
    Column("residence_division", String(12)),
    Column("death_date", Date),
    Column("status", String(16)),
    Column("updated_at", DateTime),
)
_person_field = Table(
    "person_field",
    _meta,
    Column("person_id", BigInt, primary_key=True),
    Column("field", String(32), primary_key=True),
    Column("value", Text),
    Column("agency", String(32)),
    Column("record_id", String(64)),
    Column("as_of", DateTime),
)
_conflict = Table(
    "conflict",
    _meta,
    Column("conflict_id", Integer, primary_key=True, autoincrement=True),
    Column("person_id", BigInt),
    Column("field", String(32)),
    Column("golden_value", Text),
    Column("golden_agency", String(32)),
    Column("other_value", Text),
    Column("other_agency", String(32)),
    Column("record_id", String(64)),
    Column("status", String(16)),
    Column("created_at", DateTime),
)
_feed = Table(
    "change_feed",
    _meta,
    Column("seq", BigInt, primary_key=True, autoincrement=True),
    Column("event_id", String(36), unique=True),
    Column("event_type", String(16)),
    Column("person_id", BigInt),
    Column("division", String(12)),
    Column("event_date", Date),
    Column("payload", Text),
    Column("recorded_at", DateTime),
)


def ensure_register_tables(engine: Engine) -> list[str]:
    """Create whichever of person / person_field / conflict / change_feed is missing; returns those made."""
    have = set(inspect(engine).get_table_names())
    made = [t for t in _meta.sorted_tables if t.name not in have]
    _meta.create_all(engine, tables=made)
    return [t.name for t in made]


def seed_persons(engine: Engine, persons: pl.DataFrame) -> int:
    """Append persons (columns named as in ``person``) to the register; returns the rows written.

    With the register's tables present the persons become source records of public security (the
    authority of most person fields) applied like a collected file, so golden rebuilds keep them.
    """
    if "source_record" in inspect(engine).get_table_names():
        from padis.collect.models import PERSON_COLUMNS
        from padis.register.updates import record_claims

        claims = persons.select([c for c in ("person_id", *PERSON_COLUMNS) if c in persons.columns])
        record_claims(engine, "public_security", claims, client="seed", file_name="seed")
        return claims.height
    ensure_register_tables(engine)
    cols = [c.name for c in _person.columns]
    present = [c for c in persons.columns if c in cols]
    frame = persons.select(present)
    if "status" not in frame.columns:
        frame = frame.with_columns(status=pl.lit("active"))
    if "updated_at" not in frame.columns:
        frame = frame.with_columns(updated_at=pl.lit(dt.datetime.now(dt.UTC).replace(tzinfo=None)))
    with engine.begin() as conn:
        return write_arrow(conn, "person", frame)
