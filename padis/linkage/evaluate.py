"""Evaluation against ground truth: pairwise precision/recall/F1, B-cubed cluster metrics, threshold curve."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from padis.linkage.cluster import cluster


@dataclass(frozen=True)
class Scores:
    """Pairwise and cluster metrics of one clustering against the truth."""

    precision: float
    recall: float
    f1: float
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    bcubed_precision: float
    bcubed_recall: float
    exact_clusters: float
    id_conflicts: int

    def line(self) -> str:
        """One line for the console."""
        return (
            f"P={self.precision:.4f} R={self.recall:.4f} F1={self.f1:.4f} "
            f"B3-P={self.bcubed_precision:.4f} B3-R={self.bcubed_recall:.4f} exact={self.exact_clusters:.4f}"
        )


def _pairs(n: pl.Expr) -> pl.Expr:
    return (n * (n - 1) // 2).cast(pl.Int64)


def score_clusters(
    assign: pl.DataFrame, truth: pl.DataFrame, *, valid_id: pl.DataFrame | None = None
) -> Scores:
    """Compare ``assign`` [key, cluster_id] with ``truth`` [key, person_id] (same keys)."""
    j = assign.join(truth.select("key", pl.col("person_id").alias("_t")), on="key", how="inner")
    tp = j.group_by("cluster_id", "_t").len().select(_pairs(pl.col("len")).sum()).item() or 0
    pp = j.group_by("cluster_id").len().select(_pairs(pl.col("len")).sum()).item() or 0
    tt = j.group_by("_t").len().select(_pairs(pl.col("len")).sum()).item() or 0
    p = tp / pp if pp else 1.0
    r = tp / tt if tt else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    inter = j.group_by("cluster_id", "_t").len().rename({"len": "ct"})
    sizes_c = j.group_by("cluster_id").len().rename({"len": "sc"})
    sizes_t = j.group_by("_t").len().rename({"len": "st"})
    b = inter.join(sizes_c, on="cluster_id").join(sizes_t, on="_t")
    n = j.height or 1
    b3p = b.select((pl.col("ct") ** 2 / pl.col("sc")).sum()).item() / n
    b3r = b.select((pl.col("ct") ** 2 / pl.col("st")).sum()).item() / n
    exact = b.filter((pl.col("ct") == pl.col("sc")) & (pl.col("ct") == pl.col("st"))).height
    conflicts = 0
    if valid_id is not None:
        conflicts = (
            assign.join(valid_id, on="key")
            .filter(pl.col("valid_id").is_not_null())
            .group_by("cluster_id")
            .agg(pl.col("valid_id").n_unique().alias("k"))
            .filter(pl.col("k") > 1)
            .height
        )
    return Scores(p, r, f1, int(tt), int(pp), int(tp), b3p, b3r, exact / max(sizes_t.height, 1), conflicts)


def threshold_curve(
    records: pl.DataFrame,
    pairs: pl.DataFrame,
    keys: pl.DataFrame,
    truth: pl.DataFrame,
    thresholds: list[float],
    *,
    valid_id: str | None = None,
) -> pl.DataFrame:
    """P/R/F1 of the clustering at each threshold (``keys``: unique_id → key)."""
    rows = []
    for t in thresholds:
        c = cluster(records, pairs, t, valid_id=valid_id).join(keys, on="unique_id")
        s = score_clusters(c.select("key", "cluster_id"), truth)
        rows.append(
            {
                "threshold": t,
                "precision": s.precision,
                "recall": s.recall,
                "f1": s.f1,
                "bcubed_precision": s.bcubed_precision,
                "bcubed_recall": s.bcubed_recall,
            }
        )
    return pl.DataFrame(rows)


def blocking_recall(pairs: pl.DataFrame, keys: pl.DataFrame, truth: pl.DataFrame) -> tuple[float, int]:
    """Share of true pairs present among the scored pairs ``pairs``, and the number of true pairs."""
    t = keys.join(truth, on="key").select("unique_id", "person_id")
    true_pairs = t.group_by("person_id").len().select(_pairs(pl.col("len")).sum()).item() or 0
    hit = (
        pairs.select("unique_id_l", "unique_id_r")
        .join(t.rename({"unique_id": "unique_id_l", "person_id": "pl"}), on="unique_id_l")
        .join(t.rename({"unique_id": "unique_id_r", "person_id": "pr"}), on="unique_id_r")
        .filter(pl.col("pl") == pl.col("pr"))
        .height
    )
    return (hit / true_pairs if true_pairs else 1.0), int(true_pairs)
