"""Demo step: link every source record with Splink, build the register from those person ids, score."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Engine


def _register_keys(engine: Engine) -> pl.DataFrame:
    """``key`` (extract file stem | agency record key) → ``cluster_id`` (person id) of every source record."""
    from padis.store.bulk import read_polars

    with engine.connect() as conn:
        frame = read_polars(
            conn,
            "SELECT b.file_name, s.source_key, s.person_id FROM source_record s "
            "JOIN batch b ON b.batch_id = s.batch_id WHERE s.person_id IS NOT NULL",
        )
    stem = pl.col("file_name").str.replace(r"^.*[\\/]", "").str.replace(r"\.[^.]*$", "")
    return frame.select(
        (stem + "|" + pl.col("source_key").cast(pl.Utf8)).alias("key"),
        pl.col("person_id").cast(pl.Int64).alias("cluster_id"),
    )


def demo_step(ctx: Any) -> None:
    """``padis link register`` on the demo database, then pairwise P/R/F1 against the synthetic truth."""
    from padis.linkage.evaluate import score_clusters
    from padis.linkage.resolver import SplinkResolver
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
    assign = _register_keys(engine)
    s = score_clusters(assign, load_truth(synth))
    ctx.console.print(
        f"{assign.height:,} source records → {assign['cluster_id'].n_unique():,} persons; "
        f"pairwise P={s.precision:.4f} R={s.recall:.4f} F1={s.f1:.4f}"
    )
    ctx.state["linkage_person_ids"] = assign
    ctx.report(
        "linkage F1 (register)",
        f"{s.f1:.4f} (P {s.precision:.4f}, R {s.recall:.4f}, {assign.height:,} records)",
    )
