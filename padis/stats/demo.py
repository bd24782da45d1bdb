"""Demo step: indicators from the synthetic register, headline figures, the dashboard's data."""

from __future__ import annotations

import polars as pl

from padis.stats.divisions import ALL

HEADLINE = {"POP": 0, "BIRTHS": 0, "DEATHS": 0, "TFR": 2, "SRB": 1, "CPR": 1, "REWARD": 0}


def _headline(frame: pl.DataFrame, year: int) -> dict[str, float]:
    """Indicator → value for every division of the node in ``year``."""
    rows = frame.filter(
        (pl.col("ref_area") == ALL)
        & (pl.col("period") == str(year))
        & (pl.col("sex") == "_T")
        & (pl.col("age") == "_T")
    )
    return dict(zip(rows.get_column("indicator"), rows.get_column("value"), strict=True))


def demo_step(ctx) -> None:  # type: ignore[no-untyped-def]
    """Compute all indicators at every level, project 30 years, write the dashboard cache."""
    from padis.settings import get_settings
    from padis.stats.cache import latest_year, refresh
    from padis.stats.indicators import compute_indicators
    from padis.stats.snapshot import from_register, from_synth

    synth_dir = ctx.state.get("synth_dir", ctx.synth_dir)
    if not (synth_dir / "truth" / "persons.parquet").exists():
        ctx.console.print("  [yellow]no synthetic data: stats step skipped[/]")
        ctx.report("stats", "skipped (no synthetic data)")
        return
    # The dashboard shows what the register knows (the product's path); the ground truth beside it
    # says how close the register, built from 12 agencies' flawed extracts, comes to the real figures.
    from padis.store.engine import get_engine

    engine = get_engine(ctx.database_url)
    snap = from_register(engine)
    engine.dispose()
    ctx.state["stats_snapshot"] = snap
    home = get_settings().home
    out = refresh(snap, home=home, source="register")
    year = latest_year(snap)
    v = _headline(pl.read_parquet(out / "indicators.parquet"), year)
    t = _headline(
        compute_indicators(from_synth(synth_dir), str(year), level="nation", indicators=list(HEADLINE)), year
    )
    line = (
        f"population {v.get('POP', 0):,.0f}, SRB {v.get('SRB') or 0:.1f}, TFR {v.get('TFR') or 0:.2f}, "
        f"CBR {v.get('CBR') or 0:.2f}‰, CPR {v.get('CPR') or 0:.1f} % ({year})"
    )
    ctx.report(
        "stats: register vs truth",
        ", ".join(f"{k} {v.get(k) or 0:,.{d}f} / {t.get(k) or 0:,.{d}f}" for k, d in HEADLINE.items()),
    )
    ctx.console.print(f"  {line}")
    ctx.console.print(f"  dashboard data: {out}")
    ctx.report("stats: headline", line)
    ctx.state["stats_cache"] = out
    if ctx.open_browser:
        ctx.console.print(
            "  dashboard: run [bold]padis serve[/] (with PADIS_HOME="
            f"{home}) and open http://127.0.0.1:8000/stats"
        )
