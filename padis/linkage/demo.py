"""Demo step: link every agency extract of the demo's synthetic data and score it against the truth."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl


def demo_step(ctx: Any) -> None:
    """Link all extracts in ``ctx.synth_dir`` (Splink, DuckDB), print P/R/F1, store person ids."""
    from padis.linkage.resolver import save_person_ids
    from padis.linkage.service import link_synth

    synth = Path(ctx.state.get("synth_dir", ctx.synth_dir))
    if not (synth / "extracts").is_dir():
        ctx.console.print("[yellow]linkage: no synthetic extracts to link[/]")
        ctx.report("linkage", "skipped (no synth data)")
        return
    with ctx.console.status("linking all agency extracts (Splink, DuckDB)…"):
        run = link_synth(synth)
    s = run.scores
    persons = run.result.keyed_clusters()
    ctx.console.print(
        f"{run.records:,} records → {persons['cluster_id'].n_unique():,} persons; "
        f"pairwise P={s.precision:.4f} R={s.recall:.4f} F1={s.f1:.4f}; "
        f"clusters with two valid ID numbers: {s.id_conflicts}"
    )
    ids = persons.select("source", "record_id", pl.col("cluster_id").alias("person_id"))
    try:
        from padis.store.engine import make_engine

        engine = make_engine(ctx.database_url)
        save_person_ids(engine, ids)
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - the demo goes on without the table (schema not migrated)
        ctx.console.print(f"[yellow]linkage: person ids not stored ({type(exc).__name__})[/]")
    ctx.state["linkage_person_ids"] = ids
    ctx.report("linkage F1", f"{s.f1:.4f} (P {s.precision:.4f}, R {s.recall:.4f}, {run.records:,} records)")
