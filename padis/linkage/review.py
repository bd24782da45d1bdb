"""Clerical review: uncertain pairs go to a queue with per-field levels and weights; decisions are kept.

An accepted pair is a must-link and a rejected pair a cannot-link in every later clustering; a pair
already in the queue (whatever its status) is never proposed again.
"""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
from sqlalchemy import Engine, insert, select, update

from padis.errors import InputError
from padis.linkage.model import LinkModel
from padis.linkage.models import LinkageReview

STATUSES = ("pending", "accepted", "rejected")
PAIR_KEY = ["source_l", "record_id_l", "source_r", "record_id_r"]


def canonical(pairs: pl.DataFrame) -> pl.DataFrame:
    """Put the smaller (source, record_id) on the left so a pair has one spelling."""
    swap = (pl.col("source_l") > pl.col("source_r")) | (
        (pl.col("source_l") == pl.col("source_r")) & (pl.col("record_id_l") > pl.col("record_id_r"))
    )
    return pairs.with_columns(
        pl.when(swap).then(pl.col("source_r")).otherwise(pl.col("source_l")).alias("source_l"),
        pl.when(swap).then(pl.col("record_id_r")).otherwise(pl.col("record_id_l")).alias("record_id_l"),
        pl.when(swap).then(pl.col("source_l")).otherwise(pl.col("source_r")).alias("source_r"),
        pl.when(swap).then(pl.col("record_id_l")).otherwise(pl.col("record_id_r")).alias("record_id_r"),
    )


def details(pairs: pl.DataFrame, model: LinkModel) -> pl.Series:
    """JSON per pair: for each comparison, the level label (which fields agreed) and its weight."""
    parts = []
    for comp, levels in model.params["comparisons"].items():
        if f"gamma_{comp}" not in pairs.columns:
            continue
        # Splink numbers levels from the top: gamma = len(non-null levels) - 1 - index; -1 = null level.
        non_null = [lv.get("label") for lv in levels[1:]]
        labels = {len(non_null) - 1 - i: lab for i, lab in enumerate(non_null)} | {-1: "缺失 missing"}
        label = pl.col(f"gamma_{comp}").replace_strict(labels, default=None, return_dtype=pl.Utf8)
        weight = pl.col(f"mw_{comp}") if f"mw_{comp}" in pairs.columns else pl.lit(None, pl.Float64)
        tf = f"mw_tf_adj_{comp}"
        if tf in pairs.columns:
            weight = weight + pl.col(tf).fill_null(0)
        parts.append(pl.struct(label.alias("level"), weight.round(2).alias("weight")).alias(comp))
    if not parts:
        return pl.Series("detail", ["{}"] * pairs.height)
    return pairs.select(pl.struct(parts).struct.json_encode().alias("detail")).to_series()


def queue(engine: Engine, keyed_pairs: pl.DataFrame, model: LinkModel, low: float, high: float) -> int:
    """Add pairs with ``low`` ≤ probability < ``high`` not seen before; return how many were added."""
    band = keyed_pairs.filter((pl.col("match_probability") >= low) & (pl.col("match_probability") < high))
    if band.height == 0:
        return 0
    band = canonical(band.with_columns(details(band, model)))
    seen = known_pairs(engine)
    if seen.height:
        band = band.join(seen.select(PAIR_KEY), on=PAIR_KEY, how="anti")
    band = band.unique(PAIR_KEY)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = band.select(
        *PAIR_KEY,
        "match_probability",
        "match_weight",
        "detail",
        pl.lit("pending").alias("status"),
        pl.lit(now).alias("created_at"),
    ).to_dicts()
    if rows:
        with engine.begin() as conn:
            conn.execute(insert(LinkageReview), rows)
    return len(rows)


def known_pairs(engine: Engine) -> pl.DataFrame:
    """Every pair in the queue with its status."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                LinkageReview.source_l,
                LinkageReview.record_id_l,
                LinkageReview.source_r,
                LinkageReview.record_id_r,
                LinkageReview.status,
            )
        ).all()
    return (
        pl.DataFrame([tuple(r) for r in rows], schema=[*PAIR_KEY, "status"], orient="row")
        if rows
        else pl.DataFrame(schema={c: pl.Utf8 for c in [*PAIR_KEY, "status"]})
    )


def list_reviews(engine: Engine, status: str = "pending", limit: int = 50) -> list[dict[str, object]]:
    """Queue entries with ``status``, most probable first."""
    if status not in STATUSES:
        raise InputError(f"unknown status {status!r}", where="review", why="use " + ", ".join(STATUSES))
    with engine.connect() as conn:
        rows = (
            conn.execute(
                select(LinkageReview)
                .where(LinkageReview.status == status)
                .order_by(LinkageReview.match_probability.desc())
                .limit(limit)
            )
            .mappings()
            .all()
        )
        return [
            {
                "review_id": r["review_id"],
                "left": f"{r['source_l']}|{r['record_id_l']}",
                "right": f"{r['source_r']}|{r['record_id_r']}",
                "match_probability": r["match_probability"],
                "match_weight": r["match_weight"],
                "detail": json.loads(r["detail"]),
                "status": r["status"],
                "decided_by": r["decided_by"],
            }
            for r in rows
        ]


def decide(engine: Engine, review_id: int, accept: bool, decided_by: str) -> None:
    """Record a decision on one queued pair."""
    with engine.begin() as conn:
        done = conn.execute(
            update(LinkageReview)
            .where(LinkageReview.review_id == review_id)
            .values(
                status="accepted" if accept else "rejected",
                decided_by=decided_by,
                decided_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
            )
        ).rowcount
    if not done:
        raise InputError(f"no review with id {review_id}", where="review")


def decided_pairs(engine: Engine) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(must_link, cannot_link) as ``key_l, key_r`` (source|record_id) from the decisions taken."""
    known = known_pairs(engine).filter(pl.col("status").is_in(["accepted", "rejected"]))
    keyed = known.select(
        (pl.col("source_l") + "|" + pl.col("record_id_l")).alias("key_l"),
        (pl.col("source_r") + "|" + pl.col("record_id_r")).alias("key_r"),
        "status",
    )
    must = keyed.filter(pl.col("status") == "accepted").drop("status")
    cannot = keyed.filter(pl.col("status") == "rejected").drop("status")
    return must, cannot


def to_unique_ids(key_pairs: pl.DataFrame | None, prepared: pl.DataFrame) -> pl.DataFrame | None:
    """Key pairs (``key_l, key_r``) as ``unique_id_l, unique_id_r`` of ``prepared``."""
    if key_pairs is None or key_pairs.height == 0:
        return None
    ids = prepared.select("unique_id", (pl.col("__src") + "|" + pl.col("__rid")).alias("key"))
    return (
        key_pairs.join(ids.rename({"key": "key_l", "unique_id": "unique_id_l"}), on="key_l")
        .join(ids.rename({"key": "key_r", "unique_id": "unique_id_r"}), on="key_r")
        .select("unique_id_l", "unique_id_r")
    )
