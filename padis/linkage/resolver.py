"""The register's identity seam filled by Splink: ``SplinkResolver`` gives source records person ids."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
from sqlalchemy import Engine, delete, insert

from padis.errors import InputError
from padis.linkage import model as mdl
from padis.linkage import review
from padis.linkage.incremental import LinkState, keyed_pairs, link_full, link_incremental, relink
from padis.linkage.models import LinkagePerson
from padis.linkage.settings import LinkSettings, person_settings
from padis.store.bulk import read_polars

SOURCE = "source_record"


def register_settings() -> LinkSettings:
    """Settings for the register's person-level columns (no address there)."""
    return person_settings(id_column="record_id", source_column=None, with_address=False)


def to_link_frame(records: pl.DataFrame) -> pl.DataFrame:
    """The register's resolve frame in the linkage schema."""
    cols = set(records.columns)

    def col(name: str) -> pl.Expr:
        return pl.col(name).cast(pl.Utf8) if name in cols else pl.lit(None, pl.Utf8)

    return records.select(
        pl.col("record_id").cast(pl.Utf8),
        col("id_number").alias("id_number"),
        col("name").alias("name"),
        col("sex").alias("sex"),
        col("birth_date").alias("birth_date"),
        pl.coalesce(col("registered_division"), col("residence_division")).alias("division"),
    )


class SplinkResolver:
    """Probabilistic resolver: links records to the persons linked so far (state under ``folder``)."""

    def __init__(self, folder: str | Path | None = None, *, engine: str = "duckdb") -> None:
        if folder is None:
            from padis.settings import get_settings

            folder = get_settings().home / "linkage" / "register"
        self.folder = Path(folder)
        self.engine = engine

    def resolve(self, engine: Engine, records: pl.DataFrame) -> pl.DataFrame:
        """``records`` → ``record_id, person_id`` (Int64), linking new records incrementally.

        The register also asks about the second party of a record (a spouse, a mother) under the
        same record id with that party's identity number; such a row, whose record is linked already
        under another number, is answered by the person holding that valid number, if any.
        """
        empty = pl.DataFrame(schema={"record_id": pl.Int64, "person_id": pl.Int64})
        if records.height == 0:
            return empty
        frame = to_link_frame(records)
        settings = register_settings()
        related = pl.DataFrame(schema={"record_id": pl.Utf8, "id18": pl.Utf8})
        if LinkState.exists(self.folder):
            old = LinkState.load(self.folder)
            stored = old.records.select(
                pl.col("__rid").alias("record_id"), pl.col("id_number__id18").alias("old18")
            )
            ids = mdl.prepare(frame, settings, source=SOURCE, where="register").select(
                pl.col("__rid").alias("record_id"), pl.col("id_number__id18").alias("id18")
            )
            seen = ids.join(stored, on="record_id", how="inner")
            related = seen.filter(pl.col("id18").ne_missing(pl.col("old18"))).select("record_id", "id18")
            frame = frame.join(related.select("record_id"), on="record_id", how="anti")
        must, cannot = review.decided_pairs(engine)
        if frame.height == 0:
            state, pairs = LinkState.load(self.folder), pl.DataFrame()
        elif LinkState.exists(self.folder):
            state, pairs = link_incremental(
                LinkState.load(self.folder),
                frame,
                engine=self.engine,
                where="register",
                must_link=must,
                cannot_link=cannot,
            )
        else:
            prepared = mdl.prepare(frame, settings, source=SOURCE, where="register")
            state, pairs = link_full(
                self.folder, prepared, settings, engine=self.engine, must_link=must, cannot_link=cannot
            )
        if pairs.height:
            s = state.model.settings
            review.queue(
                engine, keyed_pairs(pairs, state.records), state.model, s.review_low, s.match_threshold
            )
        persons = person_ids(state)
        save_person_ids(engine, persons)
        direct = frame.select("record_id").join(persons.select("record_id", "person_id"), on="record_id")
        by_number = (
            state.records.filter(pl.col("id_number__valid"))
            .select(pl.col("__rid").alias("record_id"), pl.col("id_number__id18").alias("id18"))
            .join(persons.select("record_id", "person_id"), on="record_id")
            .group_by("id18")
            .agg(pl.col("person_id").mode().min().alias("person_id"))
        )
        second = related.join(by_number, on="id18", how="inner").select("record_id", "person_id")
        # One answer per record, even if a record id reappears (a register rebuilt from scratch).
        return (
            pl.concat([direct, second])
            .select(pl.col("record_id").cast(pl.Int64), pl.col("person_id").cast(pl.Int64))
            .unique("record_id", keep="first", maintain_order=True)
        )


def person_ids(state: LinkState) -> pl.DataFrame:
    """The state's person of every record as ``source, record_id, person_id`` (keys are source|record_id)."""
    keys = pl.col("key").str.split_exact("|", 1)
    return state.persons.select(
        keys.struct.field("field_0").alias("source"),
        keys.struct.field("field_1").alias("record_id"),
        "person_id",
    )


def relink_register(engine: Engine, folder: str | Path | None = None) -> dict[str, int]:
    """Apply the clerical decisions to the register: re-cluster, move records, rebuild both sides."""
    from padis.register.service import reassign

    resolver = SplinkResolver(folder)
    if not LinkState.exists(resolver.folder):
        raise InputError(
            "the register has not been linked yet",
            where=str(resolver.folder),
            why="run `padis link register` first",
        )
    must, cannot = review.decided_pairs(engine)
    state, _ = relink(LinkState.load(resolver.folder), must_link=must, cannot_link=cannot)
    persons = person_ids(state)
    save_person_ids(engine, persons)
    # Compared with the register as it is (not with the state before): a relink cut off after the
    # state was saved is completed by the next one.
    linked = persons.filter(pl.col("source") == SOURCE).select(
        pl.col("record_id").cast(pl.Int64), pl.col("person_id").cast(pl.Int64)
    )
    with engine.connect() as conn:
        current = read_polars(
            conn,
            "SELECT record_id, person_id FROM source_record",
            schema={"record_id": pl.Int64, "person_id": pl.Int64},
        )
    records = (
        linked.join(current, on="record_id", suffix="_now")
        .filter(pl.col("person_id").ne_missing(pl.col("person_id_now")))
        .select("record_id", "person_id")
    )
    return {"records_moved": records.height, **reassign(engine, records)}


def save_person_ids(engine: Engine, mapping: pl.DataFrame) -> int:
    """Replace the stored record → person map for the sources in ``mapping``."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = mapping.with_columns(pl.lit(now).alias("linked_at")).to_dicts()
    sources = mapping.get_column("source").unique().to_list()
    with engine.begin() as conn:
        conn.execute(delete(LinkagePerson).where(LinkagePerson.source.in_(sources)))
        if rows:
            conn.execute(insert(LinkagePerson), rows)
    return len(rows)
