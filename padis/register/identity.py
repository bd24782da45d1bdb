"""The identity seam: which person each source record is about.

A resolver takes a frame of source records (at least ``record_id`` and ``id_number``; the register
passes the person-level columns too) and returns ``record_id, person_id`` for the records it can place.
The default joins on a valid 18-digit identity number: each distinct number is a key in
``person_key`` and gets a person id once, forever. ``padis.linkage`` plugs a Splink resolver in with
:func:`set_resolver`; nothing else in the register changes.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import polars as pl
from sqlalchemy import Engine

from padis.store.bulk import bulk_session

RESOLVE_COLUMNS: tuple[str, ...] = (
    "record_id",
    "agency",
    "record_type",
    "id_number",
    "name",
    "sex",
    "birth_date",
    "registered_division",
    "residence_division",
)


@runtime_checkable
class PersonResolver(Protocol):
    """Gives person ids to source records."""

    def resolve(self, engine: Engine, records: pl.DataFrame) -> pl.DataFrame:
        """``records`` (``record_id``, ``id_number``, …) -> ``record_id, person_id`` (Int64 both)."""
        ...


class IdNumberResolver:
    """Default resolver: one person per valid identity number, ids kept in ``person_key``."""

    def resolve(self, engine: Engine, records: pl.DataFrame) -> pl.DataFrame:
        """Give every record with an identity number the person id of that number (new ones get one)."""
        keyed = records.select(
            pl.col("record_id").cast(pl.Int64), pl.col("id_number").alias("key")
        ).drop_nulls("key")
        if keyed.height == 0:
            return pl.DataFrame(schema={"record_id": pl.Int64, "person_id": pl.Int64})
        keys = keyed.select("key").unique()
        with bulk_session(engine) as session:
            session.execute("DROP TABLE IF EXISTS _keys")
            session.execute("CREATE TEMP TABLE _keys (key VARCHAR(40) PRIMARY KEY)")
            session.write("_keys", keys)
            # (SQLite needs a WHERE before ON CONFLICT in INSERT … SELECT.)
            session.execute(
                "INSERT INTO person_key (key) SELECT key FROM _keys WHERE 1 = 1 ON CONFLICT DO NOTHING"
            )
            # The key's own row id is the new person's id: unique without a separate sequence.
            session.execute("UPDATE person_key SET person_id = key_id WHERE person_id IS NULL")
            known = pl.from_arrow(
                session.read("SELECT k.key, p.person_id FROM _keys k JOIN person_key p ON p.key = k.key")
            )
            session.execute("DROP TABLE _keys")
        assert isinstance(known, pl.DataFrame)
        known = known.with_columns(pl.col("key").cast(pl.String), pl.col("person_id").cast(pl.Int64))
        return keyed.join(known, on="key", how="inner").select("record_id", "person_id")


_resolver: PersonResolver = IdNumberResolver()


def get_resolver() -> PersonResolver:
    """The resolver the register uses now."""
    return _resolver


def set_resolver(resolver: PersonResolver) -> PersonResolver:
    """Plug in another resolver (e.g. ``padis.linkage``'s); returns the previous one."""
    global _resolver
    previous, _resolver = _resolver, resolver
    return previous
