"""Demo step: indicators from the synthetic register, headline figures, the dashboard's data."""

from __future__ import annotations

import polars as pl

from padis.stats.divisions import ALL


def demo_step(ctx) -> None:  # type: ignore[no-untyped-def]
    """Compute all indicators at every level, project 30 years, write the dashboard cache."""
    from padis.settings import get_settings
    from padis.stats.cache import latest_year, refresh
    from padis.stats.snapshot import from_synth

    synth_dir = ctx.state.get("synth_dir", ctx.synth_dir)
    if not (synth_dir / "truth" / "persons.parquet").exists():
        ctx.console.print("  [yellow]no synthetic data: stats step skipped[/]")
        ctx.report("stats", "skipped (no synthetic data)")
        return
    # the synthetic ground truth is the complete register; the demo's loaded register may be partial
    snap = from_synth(synth_dir)
    ctx.state["stats_snapshot"] = snap
    home = get_settings().home
    out = refresh(snap, home=home, source=str(synth_dir))
    year = latest_year(snap)
    res = pl.read_parquet(out / "indicators.parquet").filter(
        (pl.col("ref_area") == ALL) & (pl.col("period") == str(year)) & (pl.col("sex") == "_T")
        & (pl.col("age") == "_T"))
    v = dict(zip(res.get_column("indicator"), res.get_column("value"), strict=True))
    line = (f"population {v.get('POP', 0):,.0f}, SRB {v.get('SRB') or 0:.1f}, TFR {v.get('TFR') or 0:.2f}, "
            f"CBR {v.get('CBR') or 0:.2f}‰ ({year})")
    ctx.console.print(f"  {line}")
    ctx.console.print(f"  dashboard data: {out}")
    ctx.report("stats: headline", line)
    ctx.state["stats_cache"] = out
    if ctx.open_browser:
        ctx.console.print("  dashboard: run [bold]padis serve[/] (with PADIS_HOME="
                          f"{home}) and open http://127.0.0.1:8000/stats")
