"""Clustering of scored pairs into persons, with hard constraints, and stable person ids across runs.

Hard rule: two records whose identity numbers are both valid (GB 11643 checksum and date, after 15 → 18
normalisation) and different are never the same person. A mistyped number almost always fails the
checksum (MOD 11-2 catches every single-digit error and adjacent transposition), so such a pair is a
cannot-link: its edge is dropped before connected components, and a component that still joins two
distinct valid numbers through other records is split greedily, strongest edges first. Pairs rejected
in clerical review are cannot-links too; accepted pairs are must-links.
"""

from __future__ import annotations

import numpy as np
import polars as pl


def connected_components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Component label (smallest member index) of each of ``n`` nodes joined by edges ``left``–``right``."""
    parent = np.arange(n, dtype=np.int64)
    if len(left) == 0:
        return parent
    left = left.astype(np.int64)
    right = right.astype(np.int64)
    while True:
        pl_, pr = parent[left], parent[right]
        low = np.minimum(pl_, pr)
        new = parent.copy()
        np.minimum.at(new, pl_, low)
        np.minimum.at(new, pr, low)
        while True:  # pointer jumping until every node points at a root
            jumped = new[new]
            if np.array_equal(jumped, new):
                break
            new = jumped
        if np.array_equal(new, parent):
            return parent
        parent = new


def cluster(
    records: pl.DataFrame,
    pairs: pl.DataFrame,
    threshold: float,
    *,
    valid_id: str | None = None,
    must_link: pl.DataFrame | None = None,
    cannot_link: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Cluster ``records`` (``unique_id`` [+ ``valid_id`` column]) using ``pairs`` at ``threshold``.

    ``pairs``: ``unique_id_l, unique_id_r, match_probability``; ``must_link`` / ``cannot_link``:
    ``unique_id_l, unique_id_r``. Returns ``unique_id, cluster_id`` (smallest unique_id of the cluster).
    """
    ids = records.get_column("unique_id").cast(pl.Int64)
    order = ids.sort()
    edges = pairs.filter(pl.col("match_probability") >= threshold).select(
        "unique_id_l", "unique_id_r", pl.col("match_probability").cast(pl.Float64)
    )
    if must_link is not None and must_link.height:
        edges = pl.concat(
            [edges, must_link.select("unique_id_l", "unique_id_r", pl.lit(1.0).alias("match_probability"))]
        )
    if cannot_link is not None and cannot_link.height:
        cl = _ordered(cannot_link)
        edges = _ordered(edges).join(cl, on=["unique_id_l", "unique_id_r"], how="anti")
    vid = None
    if valid_id is not None:
        vid = records.select("unique_id", valid_id)
        edges = (
            edges.join(
                vid.rename({"unique_id": "unique_id_l", valid_id: "_vl"}), on="unique_id_l", how="left"
            )
            .join(vid.rename({"unique_id": "unique_id_r", valid_id: "_vr"}), on="unique_id_r", how="left")
            .filter(
                ~(
                    pl.col("_vl").is_not_null()
                    & pl.col("_vr").is_not_null()
                    & (pl.col("_vl") != pl.col("_vr"))
                )
            )
            .drop("_vl", "_vr")
        )
    order_np = order.to_numpy()
    li = np.searchsorted(order_np, edges.get_column("unique_id_l").to_numpy())
    ri = np.searchsorted(order_np, edges.get_column("unique_id_r").to_numpy())
    labels = connected_components(len(order_np), li, ri)
    out = pl.DataFrame({"unique_id": order_np, "cluster_id": order_np[labels]})
    if vid is not None:
        out = _split_conflicts(out, edges, vid.rename({valid_id: "_v"}))
    return out


def _ordered(pairs: pl.DataFrame) -> pl.DataFrame:
    lo = pl.min_horizontal("unique_id_l", "unique_id_r")
    hi = pl.max_horizontal("unique_id_l", "unique_id_r")
    return pairs.with_columns(lo.alias("unique_id_l"), hi.alias("unique_id_r"))


def _split_conflicts(out: pl.DataFrame, edges: pl.DataFrame, vid: pl.DataFrame) -> pl.DataFrame:
    """Split clusters holding two distinct valid identity numbers (strongest edges first)."""
    with_v = out.join(vid, on="unique_id", how="left")
    bad = (
        with_v.filter(pl.col("_v").is_not_null())
        .group_by("cluster_id")
        .agg(pl.col("_v").n_unique().alias("k"))
        .filter(pl.col("k") > 1)
        .get_column("cluster_id")
    )
    if bad.len() == 0:
        return out
    members = with_v.filter(pl.col("cluster_id").is_in(bad.implode()))
    vmap = dict(zip(members["unique_id"].to_list(), members["_v"].to_list(), strict=True))
    sub = edges.filter(pl.col("unique_id_l").is_in(members["unique_id"].implode())).sort(
        ["match_probability", "unique_id_l", "unique_id_r"], descending=[True, False, False]
    )
    # Greedy constrained union-find over the few edges of conflicting clusters only.
    parent = {u: u for u in vmap}
    ident: dict[int, set[str]] = {u: ({v} if v is not None else set()) for u, v in vmap.items()}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in zip(sub["unique_id_l"].to_list(), sub["unique_id_r"].to_list(), strict=True):
        ra, rb = find(a), find(b)
        if ra == rb or (ident[ra] and ident[rb] and ident[ra] != ident[rb]):
            continue
        if rb < ra:
            ra, rb = rb, ra
        parent[rb] = ra
        ident[ra] |= ident.pop(rb)
    fixed = pl.DataFrame(
        {"unique_id": list(vmap), "_c": [find(u) for u in vmap]},
        schema={"unique_id": pl.Int64, "_c": pl.Int64},
    )
    fixed = fixed.with_columns(pl.col("unique_id").min().over("_c").alias("_c"))
    return (
        out.join(fixed, on="unique_id", how="left")
        .with_columns(pl.coalesce("_c", "cluster_id").alias("cluster_id"))
        .drop("_c")
    )


def assign_person_ids(
    clusters: pl.DataFrame, previous: pl.DataFrame | None, *, next_id: int | None = None
) -> pl.DataFrame:
    """Person ids for ``clusters`` [key, cluster_id] that stay stable against ``previous`` [key, person_id].

    A cluster keeps the previous id that holds most of its records (ties → smallest id); when two
    clusters claim the same previous id (a split), the cluster with more of those records keeps it
    (ties → smaller cluster_id) and the other gets a new id. New ids continue after the largest id used.
    """
    if previous is None or previous.height == 0:
        start = 1 if next_id is None else next_id
        firsts = clusters.select("cluster_id").unique().sort("cluster_id").with_row_index("rank")
        return clusters.join(firsts, on="cluster_id").select(
            "key", (pl.col("rank").cast(pl.Int64) + start).alias("person_id")
        )
    votes = (
        clusters.join(previous.select("key", "person_id"), on="key", how="inner")
        .group_by("cluster_id", "person_id")
        .agg(pl.len().alias("n"))
        .sort(["cluster_id", "n", "person_id"], descending=[False, True, False])
    )
    best = votes.group_by("cluster_id", maintain_order=True).first()
    winners = (
        best.sort(["person_id", "n", "cluster_id"], descending=[False, True, False])
        .group_by("person_id", maintain_order=True)
        .first()
        .select("cluster_id", "person_id")
    )
    top = int(previous.get_column("person_id").max() or 0)
    start = max(top + 1, next_id or 0)
    rest = (
        clusters.select("cluster_id")
        .unique()
        .join(winners, on="cluster_id", how="anti")
        .sort("cluster_id")
        .with_row_index("rank")
        .select("cluster_id", (pl.col("rank").cast(pl.Int64) + start).alias("person_id"))
    )
    mapping = pl.concat([winners, rest])
    return clusters.join(mapping, on="cluster_id").select("key", "person_id")
