"""Demo step: link every source record with Splink, build the register from those person ids, score."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Engine


def _record_keys(engine: Engine) -> pl.DataFrame:
    """Every source record: ``record_id``, ``key`` (extract file stem | agency record key), ``person_id``."""
    from padis.store.bulk import read_polars

    with engine.connect() as conn:
        frame = read_polars(
            conn,
            "SELECT s.record_id, b.file_name, s.source_key, s.person_id FROM source_record s "
            "JOIN batch b ON b.batch_id = s.batch_id",
        )
    stem = pl.col("file_name").str.replace(r"^.*[\\/]", "").str.replace(r"\.[^.]*$", "")
    return frame.select(
        pl.col("record_id").cast(pl.Utf8),
        (stem + "|" + pl.col("source_key").cast(pl.Utf8)).alias("key"),
        pl.col("person_id").cast(pl.Int64),
    )


def _register_keys(engine: Engine) -> pl.DataFrame:
    """``key`` → ``cluster_id`` (person id) of every linked source record."""
    keys = _record_keys(engine).filter(pl.col("person_id").is_not_null())
    return keys.select("key", pl.col("person_id").alias("cluster_id"))


def _review_by_truth(engine: Engine, truth: pl.DataFrame) -> tuple[int, int]:
    """Decide every pending register pair as a clerk who knows the truth would; (accepted, rejected)."""
    from padis.linkage import review

    who = _record_keys(engine).drop("person_id").join(truth, on="key")
    true_person = dict(zip(who["record_id"], who["person_id"], strict=True))
    accepted = rejected = 0
    for pair in review.list_reviews(engine, limit=10_000):
        left, right = (true_person.get(str(pair[side]).split("|", 1)[1]) for side in ("left", "right"))
        if left is None or right is None:
            continue
        review.decide(engine, int(pair["review_id"]), left == right, "demo_clerk")
        accepted, rejected = accepted + (left == right), rejected + (left != right)
    return accepted, rejected


def demo_step(ctx: Any) -> None:
    """``padis link register`` on the demo database, then pairwise P/R/F1 against the synthetic truth."""
    from padis.linkage.evaluate import score_clusters
    from padis.linkage.resolver import SplinkResolver, relink_register
    from padis.linkage.sources import load_truth
    from padis.register.demo import persons_by_id_number, report_register
    from padis.register.identity import linkage_folder
    from padis.register.service import rebuild_all
    from padis.store.engine import get_engine

    engine = get_engine(ctx.database_url)
    before = ctx.state.get("register_persons_by_id_number")
    if before is None:
        before = persons_by_id_number(engine)
    folder = linkage_folder()
    if not folder.resolve().is_relative_to(Path(ctx.workdir).resolve()):
        folder = Path(ctx.workdir) / "linkage" / "register"
    # The demo database is new each run, so is its linked register (record ids start again at 1).
    shutil.rmtree(folder, ignore_errors=True)
    with ctx.console.status("linking every source record (Splink, DuckDB) and building the register…"):
        stats = rebuild_all(engine, resolver=SplinkResolver(folder))
    if ctx.state.get("register_deferred"):
        report_register(ctx, engine, stats)
    ctx.report("linkage: persons by ID number → by Splink", f"{before:,} → {stats['persons']:,}")
    synth = Path(ctx.state.get("synth_dir", ctx.synth_dir))
    if not (synth / "truth" / "records.parquet").is_file():
        ctx.report("linkage F1", "skipped (no synthetic truth)")
        return
    truth = load_truth(synth)
    accepted, rejected = _review_by_truth(engine, truth)
    relinked = relink_register(engine, folder)
    ctx.report(
        "linkage: clerical review → padis link relink",
        f"{accepted} pairs accepted, {rejected} rejected → {relinked['records_moved']} records moved, "
        f"{relinked['merged']} persons merged",
    )
    assign = _register_keys(engine)
    s = score_clusters(assign, truth)
    ctx.console.print(
        f"{assign.height:,} source records → {assign['cluster_id'].n_unique():,} persons; "
        f"pairwise P={s.precision:.4f} R={s.recall:.4f} F1={s.f1:.4f}"
    )
    ctx.state["linkage_person_ids"] = assign
    ctx.report(
        "linkage F1 (register)",
        f"{s.f1:.4f} (P {s.precision:.4f}, R {s.recall:.4f}, {assign.height:,} records)",
    )
