"""The linkage run: prepare → train (or load) → score → cluster, for one file, two files or many sources."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from padis.linkage import model as mdl
from padis.linkage.cluster import cluster
from padis.linkage.settings import LinkSettings


@dataclass
class LinkResult:
    """Everything a run produced: prepared records, the model, scored pairs and clusters."""

    prepared: pl.DataFrame
    model: mdl.LinkModel
    pairs: pl.DataFrame
    clusters: pl.DataFrame  # unique_id, cluster_id
    queued: int = 0  # pairs sent to clerical review

    def keyed_clusters(self) -> pl.DataFrame:
        """Clusters with the source and record id: ``source, record_id, cluster_id``."""
        return (
            self.clusters.join(
                self.prepared.select(
                    "unique_id", pl.col("__src").alias("source"), pl.col("__rid").alias("record_id")
                ),
                on="unique_id",
            )
            .select("source", "record_id", "cluster_id")
            .sort("cluster_id", "source", "record_id")
        )

    def keyed_pairs(self, threshold: float | None = None) -> pl.DataFrame:
        """Pairs with source and record ids instead of internal ids."""
        ids = self.prepared.select("unique_id", "__src", "__rid")
        p = self.pairs if threshold is None else self.pairs.filter(pl.col("match_probability") >= threshold)
        return (
            p.join(
                ids.rename({"unique_id": "unique_id_l", "__src": "source_l", "__rid": "record_id_l"}),
                on="unique_id_l",
            )
            .join(
                ids.rename({"unique_id": "unique_id_r", "__src": "source_r", "__rid": "record_id_r"}),
                on="unique_id_r",
            )
            .select(
                "source_l",
                "record_id_l",
                "source_r",
                "record_id_r",
                "match_probability",
                "match_weight",
                pl.col("^(gamma|mw)_.*$"),
            )
            .sort("match_probability", descending=True)
        )


def valid_id_column(settings: LinkSettings) -> str | None:
    """Name of the prepared column that holds the valid 18-digit identity number (for cannot-links)."""
    ids = settings.of_type("id_number")
    return f"{ids[0]}__valid_id" if ids else None


def with_valid_id(prepared: pl.DataFrame, settings: LinkSettings) -> pl.DataFrame:
    """Add the valid-identity-number column used by the hard constraint."""
    ids = settings.of_type("id_number")
    if not ids:
        return prepared
    c = ids[0]
    return prepared.with_columns(
        pl.when(pl.col(f"{c}__valid")).then(pl.col(f"{c}__id18")).alias(f"{c}__valid_id")
    )


def link(
    prepared: pl.DataFrame,
    settings: LinkSettings,
    *,
    engine: str = "duckdb",
    model: mdl.LinkModel | None = None,
    threshold: float | None = None,
    between: bool = False,
    must_link: pl.DataFrame | None = None,
    cannot_link: pl.DataFrame | None = None,
) -> LinkResult:
    """Train if no model is given, score pairs down to the review band, cluster at the match threshold."""
    if model is None:
        model = mdl.train(prepared, settings, engine=engine)
    match = settings.match_threshold if threshold is None else threshold
    low = min(settings.review_low, match)
    pairs = mdl.predict(prepared, model, engine=engine, threshold=low, between=between)
    recs = with_valid_id(prepared, settings)
    clusters = cluster(
        recs, pairs, match, valid_id=valid_id_column(settings), must_link=must_link, cannot_link=cannot_link
    )
    return LinkResult(prepared=recs, model=model, pairs=pairs, clusters=clusters)
