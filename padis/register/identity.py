"""The identity seam: which person each source record is about.

A resolver takes a frame of source records (at least ``record_id`` and ``id_number``; the register
passes the person-level columns ``RESOLVE_COLUMNS`` too, or only those a resolver names in its
``columns`` attribute) and returns ``record_id, person_id`` for the records it can place.
``IdNumberResolver`` joins on a valid 18-digit identity number: each distinct number is a key in
``person_key`` and gets a person id once, forever. ``padis.linkage.resolver.SplinkResolver`` links
records probabilistically (typos, 15-digit numbers, missing numbers) against its state folder.

Which one the register uses (:func:`get_resolver`): one plugged in with :func:`set_resolver`, else the
environment variable ``PADIS_RESOLVER``: ``splink`` or ``id_number``. Unset, the register uses Splink
when a linked register exists (``<PADIS_HOME>/linkage/register``, made by ``padis link register`` or
the demo's linkage step) and the identity number otherwise: Splink cannot place records before it has
a trained model, and a fresh installation should not pay for training on its first small batch.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol, runtime_checkable

import polars as pl
from sqlalchemy import Engine

from padis.errors import InputError
from padis.store.bulk import bulk_session

RESOLVER_ENV = "PADIS_RESOLVER"
RESOLVERS: tuple[str, ...] = ("splink", "id_number")

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

    # The only columns it reads (the register passes all of RESOLVE_COLUMNS to a resolver without this).
    columns: tuple[str, ...] = ("record_id", "id_number")

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
            session.execute(_insert_new_keys_sql(session.dialect))
            known = pl.from_arrow(
                session.read("SELECT k.key, p.person_id FROM _keys k JOIN person_key p ON p.key = k.key")
            )
            session.execute("DROP TABLE _keys")
        assert isinstance(known, pl.DataFrame)
        known = known.with_columns(pl.col("key").cast(pl.String), pl.col("person_id").cast(pl.Int64))
        return keyed.join(known, on="key", how="inner").select("record_id", "person_id")


def _insert_new_keys_sql(dialect: str) -> str:
    """Add the keys of ``_keys`` not yet known, each with a new person id equal to its key id.

    One statement, keys in sorted order (the unique index grows at its end, not at random places).
    """
    new = "SELECT key FROM _keys k WHERE NOT EXISTS (SELECT 1 FROM person_key p WHERE p.key = k.key)"
    if dialect == "postgresql":
        ids = (
            "SELECT nextval(pg_get_serial_sequence('person_key', 'key_id')) AS id, key "
            f"FROM ({new} ORDER BY key) n"
        )
    else:
        # An INSERT holds SQLite's write lock from its first step: MAX(key_id) cannot go stale.
        ids = (
            "SELECT m.top + ROW_NUMBER() OVER (ORDER BY n.key) AS id, n.key FROM "
            f"({new}) n, (SELECT COALESCE(MAX(key_id), 0) AS top FROM person_key) m"
        )
    # The key's own id is the new person's id: unique without a separate sequence.
    return (
        f"INSERT INTO person_key (key_id, key, person_id) SELECT id, key, id FROM ({ids}) i "
        "WHERE 1 = 1 ON CONFLICT DO NOTHING"  # (SQLite needs a WHERE before ON CONFLICT here.)
    )


_resolver: PersonResolver | None = None


def linkage_folder() -> Path:
    """Where the Splink resolver keeps its linked register (model, records, person ids)."""
    from padis.settings import get_settings

    return get_settings().home / "linkage" / "register"


def resolver_choice() -> str:
    """``splink`` or ``id_number``: ``PADIS_RESOLVER``, else Splink once a linked register exists."""
    chosen = os.environ.get(RESOLVER_ENV, "").strip().lower()
    if chosen:
        if chosen not in RESOLVERS:
            raise InputError(
                f"unknown resolver {chosen!r}", where=RESOLVER_ENV, why="use " + " or ".join(RESOLVERS)
            )
        return chosen
    return "splink" if (linkage_folder() / "records.parquet").is_file() else "id_number"


def get_resolver() -> PersonResolver:
    """The resolver the register uses now (see the module docstring for the choice)."""
    if _resolver is not None:
        return _resolver
    if resolver_choice() == "splink":
        from padis.linkage.resolver import SplinkResolver

        return SplinkResolver(linkage_folder())
    return IdNumberResolver()


def set_resolver(resolver: PersonResolver | None) -> PersonResolver | None:
    """Plug in another resolver (``None``: back to the configured choice); returns the previous one."""
    global _resolver
    previous, _resolver = _resolver, resolver
    return previous
