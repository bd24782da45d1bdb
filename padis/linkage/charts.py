"""Splink's own charts of a trained model, written as self-contained HTML (JavaScript inlined, no CDN)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from padis.linkage import engine as eng
from padis.linkage import model as mdl


def _linker(model: mdl.LinkModel):  # type: ignore[no-untyped-def]
    db = eng.make_db_api("duckdb")
    cols = {"unique_id": pl.Series([0], dtype=pl.Int64), "__src": pl.Series(["x"])}
    for comp in model.settings.columns:
        from padis.linkage.comparisons import CATALOGUE

        derived = CATALOGUE[comp.type].prepare(pl.Series([None], dtype=pl.Utf8), comp.name)
        cols.update({c: derived[c] for c in derived.columns})
    table = eng.register(db, pl.DataFrame(cols), "chart_stub")
    return mdl._linker(db, table, mdl.settings_dict(model.settings, "duckdb", model.params))


def match_weights_html(model: mdl.LinkModel, path: str | Path) -> str:
    """Write the match-weights and m/u charts to ``path`` (HTML); return a one-line note."""
    linker = _linker(model)
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    weights = linker.visualisations.match_weights_chart().to_html(inline=True)
    p.write_text(weights, encoding="utf-8")
    mu = p.with_name(p.stem + "_m_u.html")
    mu.write_text(linker.visualisations.m_u_parameters_chart().to_html(inline=True), encoding="utf-8")
    return f"charts → {p}, {mu} (JavaScript inlined, works offline)"
