"""The statistics dashboard: indicator tables with drill-down (htmx), pyramid, trends, rankings, projection
scenarios and comparison flags (ECharts), for logged-in staff. Data come from padis.stats.cache."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates

import padis
from padis.security.deps import require_staff
from padis.stats import cache as stats_cache
from padis.stats.divisions import ALL, LEVELS, child_level, division_name, level_of
from padis.stats.indicators import TOTAL, standard_definitions

TEMPLATES = Jinja2Templates(directory=str(Path(padis.__file__).parent / "web" / "templates"))
router = APIRouter(prefix="/stats", dependencies=[Depends(require_staff())], include_in_schema=False)
TABLE_COLUMNS = ("POP", "CBR", "CDR", "NGR", "SRB", "TFR", "CPR", "FLOAT_IN", "FLOAT_OUT", "REWARD",
                 "SPECIAL")
RANKABLE = ("CBR", "CDR", "NGR", "SRB", "TFR", "GFR", "CPR", "POP", "FLOAT_IN", "FLOAT_OUT")
TREND = ("CBR", "CDR", "NGR")
RATES = ("CBR", "CDR", "NGR", "SRB", "TFR", "GFR", "CPR")
EVENT_COUNTS = ("BIRTHS", "DEATHS")
# A rate from fewer than 20 events is too unstable to compare (the rule of the US National Center for
# Health Statistics): still shown, marked, so a county with 12 births does not read as a crisis.
MIN_EVENTS = 20
CODE_PATTERN = r"^\d{6}$"


def _cache() -> stats_cache.Cache | None:
    return stats_cache.load()


def _totals(c: stats_cache.Cache) -> pl.DataFrame:
    return c.indicators.filter((pl.col("sex") == TOTAL) & (pl.col("age") == TOTAL))


def _period(c: stats_cache.Cache, period: str | None) -> str:
    calendar = [p for p in c.periods if p.isdigit()]
    if period in c.periods:
        return str(period)
    return calendar[-1] if calendar else c.periods[-1]


def _children(c: stats_cache.Cache, division: str) -> tuple[str | None, list[str]]:
    level = child_level(level_of(division))
    if level is None:
        return None, []
    # divisions with a population of their own (moves also name divisions outside this node)
    frame = c.indicators.filter((pl.col("level") == level) & (pl.col("indicator") == "POP")).select(
        "ref_area").unique()
    if division != ALL:
        lvl = level_of(division)
        prefix = division[: {"province": 2, "prefecture": 4}.get(lvl, 6)]
        frame = frame.filter(pl.col("ref_area").str.starts_with(prefix))
    return level, sorted(frame.get_column("ref_area").to_list())


def _breadcrumb(division: str) -> list[tuple[str, str]]:
    chain = [ALL]
    if division != ALL:
        lvl = level_of(division)
        chain.append(division[:2] + "0000")
        if lvl in ("prefecture", "county"):
            chain.append(division[:4] + "00")
        if lvl == "county":
            chain.append(division)
    return [(code, division_name(code)) for code in dict.fromkeys(chain)]


def _row_values(frame: pl.DataFrame, codes: list[str], period: str) -> dict[str, dict[str, float | None]]:
    part = frame.filter(pl.col("ref_area").is_in(codes) & (pl.col("period") == period)
                        & pl.col("indicator").is_in(TABLE_COLUMNS + EVENT_COUNTS))
    out: dict[str, dict[str, float | None]] = {c: {} for c in codes}
    for area, ind, value, numerator in part.select("ref_area", "indicator", "value", "numerator").iter_rows():
        out[area][ind] = value
        out[area][f"{ind}#n"] = numerator
    return out


def _few_events(values: dict[str, float | None]) -> list[str]:
    """The rates of one row resting on fewer than ``MIN_EVENTS`` events (shown, but marked ※)."""
    births, deaths = values.get("BIRTHS"), values.get("DEATHS")
    both = None if births is None or deaths is None else births + deaths
    events = {"SRB": births, "TFR": births, "NGR": both}
    few = []
    for code in RATES:
        n = events.get(code, values.get(f"{code}#n"))
        if values.get(code) is not None and n is not None and n < MIN_EVENTS:
            few.append(code)
    return few


def _labels(c: stats_cache.Cache) -> dict[str, tuple[str, str]]:
    labels = {d.code: (d.label, d.unit) for d in standard_definitions()}
    labels.update({code: (label, unit) for code, label, unit in
                   c.indicators.select("indicator", "label", "unit").unique("indicator").iter_rows()})
    return labels


def _panel_context(c: stats_cache.Cache, division: str, period: str) -> dict[str, Any]:
    totals = _totals(c)
    level, children = _children(c, division)
    own = totals.filter(pl.col("level") == level_of(division))
    rows = _row_values(totals.filter(pl.col("level") == level) if level else totals.head(0), children, period)
    headline = _row_values(own, [division], period)[division]
    flags = None
    if c.comparison is not None and c.comparison.height:
        scope = c.comparison
        if division != ALL:
            scope = scope.filter(pl.col("ref_area").str.starts_with(division.rstrip("0")[:6] or division))
        flags = [dict(r, name=division_name(r["ref_area"])) for r in scope.sort(
            "flagged", "ref_area", descending=[True, False]).head(30).iter_rows(named=True)]
    return {
        "division": division, "division_name": division_name(division), "period": period,
        "periods": c.periods, "level": level_of(division), "child_level": level,
        "breadcrumb": _breadcrumb(division),
        "rows": [(code, division_name(code), rows[code], _few_events(rows[code])) for code in children],
        "headline_few": _few_events(headline), "min_events": MIN_EVENTS,
        "drillable": level is not None and child_level(level) is not None,
        "headline": headline, "columns": TABLE_COLUMNS, "labels": _labels(c), "rankable": RANKABLE,
        "flags": flags, "meta": c.meta,
    }


def _check(division: str) -> str:
    return division if division else ALL


@router.get("", response_class=HTMLResponse)
@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, division: str = Query(ALL, pattern=CODE_PATTERN),
              period: str | None = Query(None, max_length=8)) -> HTMLResponse:
    """The dashboard page."""
    c = _cache()
    if c is None:
        return TEMPLATES.TemplateResponse(request, "stats/empty.html", {}, status_code=200)
    ctx = _panel_context(c, _check(division), _period(c, period))
    return TEMPLATES.TemplateResponse(request, "stats/dashboard.html", ctx)


@router.get("/panel", response_class=HTMLResponse)
def panel(request: Request, division: str = Query(ALL, pattern=CODE_PATTERN),
          period: str | None = Query(None, max_length=8)) -> HTMLResponse:
    """The part of the page that drill-down swaps (htmx); a full page when not asked by htmx."""
    c = _cache()
    if c is None:
        return TEMPLATES.TemplateResponse(request, "stats/empty.html", {})
    ctx = _panel_context(c, _check(division), _period(c, period))
    name = "stats/_panel.html" if request.headers.get("HX-Request") else "stats/dashboard.html"
    return TEMPLATES.TemplateResponse(request, name, ctx)


def _json(data: Any) -> JSONResponse:
    return JSONResponse(data, headers={"Cache-Control": "no-store"})


@router.get("/api/pyramid")
def api_pyramid(division: str = Query(ALL, pattern=CODE_PATTERN), period: str | None = None) -> JSONResponse:
    """Population by five-year age group and sex for a division and period."""
    c = _cache()
    if c is None:
        return _json({"ages": [], "male": [], "female": []})
    p = _period(c, period)
    rows = c.indicators.filter((pl.col("indicator") == "POP_AGE_SEX") & (pl.col("ref_area") == division)
                               & (pl.col("level") == level_of(division)) & (pl.col("period") == p))
    ages = sorted(rows.get_column("age").unique().to_list(), key=lambda a: int(a.split("-")[0].rstrip("+")))
    values = {(s, a): v for s, a, v in rows.select("sex", "age", "value").iter_rows()}
    return _json({"period": p, "ages": ages,
                  "male": [values.get(("1", a), 0) or 0 for a in ages],
                  "female": [values.get(("2", a), 0) or 0 for a in ages]})


@router.get("/api/trend")
def api_trend(division: str = Query(ALL, pattern=CODE_PATTERN)) -> JSONResponse:
    """Crude birth, death and natural-growth rates and the TFR over the calendar years."""
    c = _cache()
    if c is None:
        return _json({"periods": [], "series": {}})
    periods = [p for p in c.periods if p.isdigit()]
    rows = _totals(c).filter((pl.col("ref_area") == division) & (pl.col("level") == level_of(division))
                             & pl.col("period").is_in(periods))
    values = {(i, p): v for i, p, v in rows.select("indicator", "period", "value").iter_rows()}
    labels = _labels(c)
    series = {code: {"label": labels.get(code, (code, ""))[0],
                     "data": [values.get((code, p)) for p in periods]} for code in (*TREND, "TFR")}
    return _json({"periods": periods, "series": series})


@router.get("/api/ranking")
def api_ranking(division: str = Query(ALL, pattern=CODE_PATTERN), period: str | None = None,
                indicator: str = Query("CBR", pattern=r"^[A-Z0-9_]{2,32}$")) -> JSONResponse:
    """The division's children ranked by one indicator."""
    c = _cache()
    if c is None:
        return _json({"names": [], "values": []})
    p = _period(c, period)
    level, children = _children(c, division)
    rows = _totals(c).filter((pl.col("indicator") == indicator) & (pl.col("period") == p)
                             & (pl.col("level") == (level or "county")) & pl.col("ref_area").is_in(children))
    rows = rows.filter(pl.col("value").is_not_null()).sort("value", descending=True)
    label, unit = _labels(c).get(indicator, (indicator, ""))
    return _json({"indicator": indicator, "label": label, "unit": unit, "period": p,
                  "codes": rows.get_column("ref_area").to_list(),
                  "names": [division_name(x) for x in rows.get_column("ref_area").to_list()],
                  "values": rows.get_column("value").round(3).to_list()})


@router.get("/api/projection")
def api_projection(division: str = Query(ALL, pattern=CODE_PATTERN)) -> JSONResponse:
    """Projected total population per TFR scenario."""
    c = _cache()
    if c is None or c.projection is None:
        return _json({"years": [], "scenarios": {}})
    rows = c.projection.filter((pl.col("ref_area") == division) & (pl.col("level") == level_of(division)))
    years = sorted(rows.get_column("year").unique().to_list())
    scenarios = {}
    for (name,), part in rows.sort("year").partition_by("scenario", as_dict=True).items():
        scenarios[str(name)] = part.get_column("population").round(0).to_list()
    return _json({"years": years, "scenarios": dict(sorted(scenarios.items()))})


__all__ = ["LEVELS", "router"]
