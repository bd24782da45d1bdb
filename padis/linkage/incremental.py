"""The linked register on disk, full and incremental linkage, and stable person ids.

A state folder holds ``model/`` (trained parameters and term frequencies), ``records.parquet`` (the
prepared features of every record linked so far) and ``persons.parquet`` (``key`` = source|record_id →
``person_id``) and ``edges.parquet`` (scored pairs at or above the match threshold). A new batch is
scored against the existing records and within itself with the saved model (Splink
``predict_between`` / ``predict_within``); the stored edges join the new ones, so existing pairs are
never re-scored and the clusters equal those of a full run on the same records.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from padis.errors import InputError
from padis.linkage import model as mdl
from padis.linkage.cluster import assign_person_ids, cluster
from padis.linkage.pipeline import valid_id_column, with_valid_id
from padis.linkage.review import to_unique_ids
from padis.linkage.settings import LinkSettings


def keys_of(prepared: pl.DataFrame) -> pl.DataFrame:
    """``unique_id`` → ``key`` (source|record_id)."""
    return prepared.select("unique_id", (pl.col("__src") + "|" + pl.col("__rid")).alias("key"))


@dataclass
class LinkState:
    """What has been linked so far: model, prepared records and person ids."""

    folder: Path
    model: mdl.LinkModel
    records: pl.DataFrame
    persons: pl.DataFrame  # key, person_id
    edges: pl.DataFrame  # unique_id_l, unique_id_r, match_probability (≥ match threshold)

    @classmethod
    def exists(cls, folder: str | Path) -> bool:
        """Whether ``folder`` holds a linked register."""
        return (Path(folder) / "records.parquet").is_file()

    @classmethod
    def load(cls, folder: str | Path) -> LinkState:
        """Read the state in ``folder``."""
        f = Path(folder)
        if not cls.exists(f):
            raise InputError("nothing linked yet", where=str(f), why="run a full linkage first")
        return cls(
            f,
            mdl.LinkModel.load(f / "model"),
            pl.read_parquet(f / "records.parquet"),
            pl.read_parquet(f / "persons.parquet"),
            pl.read_parquet(f / "edges.parquet"),
        )

    def save(self) -> None:
        """Write the state back to its folder."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.model.save(self.folder / "model")
        self.records.write_parquet(self.folder / "records.parquet")
        self.persons.write_parquet(self.folder / "persons.parquet")
        self.edges.write_parquet(self.folder / "edges.parquet")


def _person_ids(records: pl.DataFrame, clusters: pl.DataFrame, previous: pl.DataFrame | None) -> pl.DataFrame:
    keyed = clusters.join(keys_of(records), on="unique_id").select("key", "cluster_id")
    return assign_person_ids(keyed, previous)


def _edges(pairs: pl.DataFrame, model: mdl.LinkModel) -> pl.DataFrame:
    return pairs.filter(pl.col("match_probability") >= model.settings.match_threshold).select(
        pl.col("unique_id_l").cast(pl.Int64),
        pl.col("unique_id_r").cast(pl.Int64),
        pl.col("match_probability").cast(pl.Float64),
    )


def link_full(
    folder: str | Path,
    prepared: pl.DataFrame,
    settings: LinkSettings,
    *,
    engine: str = "duckdb",
    model: mdl.LinkModel | None = None,
    must_link: pl.DataFrame | None = None,
    cannot_link: pl.DataFrame | None = None,
) -> tuple[LinkState, pl.DataFrame]:
    """Link everything from scratch (keeping person ids of an earlier state); returns (state, pairs).

    ``must_link`` / ``cannot_link``: clerical decisions as ``key_l, key_r`` (source|record_id).
    """
    f = Path(folder)
    previous = pl.read_parquet(f / "persons.parquet") if LinkState.exists(f) else None
    if model is None:
        model = mdl.train(prepared, settings, engine=engine)
    pairs = mdl.predict(prepared, model, engine=engine)
    recs = with_valid_id(prepared, model.settings)
    clusters = cluster(
        recs,
        pairs,
        model.settings.match_threshold,
        valid_id=valid_id_column(model.settings),
        must_link=to_unique_ids(must_link, recs),
        cannot_link=to_unique_ids(cannot_link, recs),
    )
    state = LinkState(f, model, recs, _person_ids(recs, clusters, previous), _edges(pairs, model))
    state.save()
    return state, pairs


def link_incremental(
    state: LinkState,
    new: pl.DataFrame,
    *,
    engine: str = "duckdb",
    where: str = "batch",
    must_link: pl.DataFrame | None = None,
    cannot_link: pl.DataFrame | None = None,
) -> tuple[LinkState, pl.DataFrame]:
    """Link a new batch (raw columns per the model's settings) against ``state``; returns (state, pairs)."""
    settings = state.model.settings
    offset = int(state.records.get_column("unique_id").max() or 0) + 1
    prepared = mdl.prepare(new, settings, where=where, offset=offset)
    known = keys_of(state.records).get_column("key")
    fresh = prepared.filter(~(pl.col("__src") + "|" + pl.col("__rid")).is_in(known.implode()))
    if fresh.height == 0:
        return state, pl.DataFrame()
    fresh = with_valid_id(fresh, settings)
    pairs = mdl.predict_incremental(state.records, fresh, state.model, engine=engine)
    every = pl.concat([state.records, fresh], how="diagonal_relaxed")
    edges = pl.concat([state.edges, _edges(pairs, state.model)], how="vertical_relaxed")
    clusters = cluster(
        every,
        edges,
        settings.match_threshold,
        valid_id=valid_id_column(settings),
        must_link=to_unique_ids(must_link, every),
        cannot_link=to_unique_ids(cannot_link, every),
    )
    new_state = LinkState(
        state.folder, state.model, every, _person_ids(every, clusters, state.persons), edges
    )
    new_state.save()
    return new_state, pairs


def relink(
    state: LinkState,
    *,
    must_link: pl.DataFrame | None = None,
    cannot_link: pl.DataFrame | None = None,
) -> tuple[LinkState, pl.DataFrame]:
    """Cluster the linked records again under the clerical decisions taken since; returns (state, moved).

    No record is scored again: the stored edges plus ``must_link`` (accepted pairs) join persons,
    ``cannot_link`` (rejected pairs) part them. Person ids stay where they were wherever they can;
    ``moved`` lists each record whose person changed as ``key, person_id_old, person_id``.
    """
    settings = state.model.settings
    clusters = cluster(
        state.records,
        state.edges,
        settings.match_threshold,
        valid_id=valid_id_column(settings),
        must_link=to_unique_ids(must_link, state.records),
        cannot_link=to_unique_ids(cannot_link, state.records),
    )
    persons = _person_ids(state.records, clusters, state.persons)
    moved = (
        persons.join(state.persons, on="key", how="inner", suffix="_old")
        .filter(pl.col("person_id") != pl.col("person_id_old"))
        .select("key", "person_id_old", "person_id")
    )
    new_state = LinkState(state.folder, state.model, state.records, persons, state.edges)
    new_state.save()
    return new_state, moved


def keyed_pairs(pairs: pl.DataFrame, records: pl.DataFrame) -> pl.DataFrame:
    """Pairs with ``source_l, record_id_l, source_r, record_id_r`` instead of internal ids."""
    ids = records.select("unique_id", "__src", "__rid")
    return pairs.join(
        ids.rename({"unique_id": "unique_id_l", "__src": "source_l", "__rid": "record_id_l"}),
        on="unique_id_l",
    ).join(
        ids.rename({"unique_id": "unique_id_r", "__src": "source_r", "__rid": "record_id_r"}),
        on="unique_id_r",
    )
