"""The indicator engine: builds SQL from indicators.yaml, runs it on a backend, returns a long table.

Result columns: indicator, label, unit, level, ref_area, period, sex, age, value, numerator, denominator.
``sex``/``age`` are ``_T`` for totals (SDMX convention). Rates use the average population of the period,
(population at the start + population at the end) / 2, where the start population is counted at the end of
the day before the period starts. Half-year rates are for the half-year, not annualised.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from padis.errors import ConfigError, InputError
from padis.stats.divisions import LEVELS, division_map, level_of
from padis.stats.engines import Backend, make_backend
from padis.stats.periods import Period, parse_periods
from padis.stats.snapshot import Snapshot

DEFINITIONS = Path(__file__).with_name("indicators.yaml")
MARRIED_CODES = ("20", "21", "22", "23")
NON_USE_METHODS = ("", "0", "00", "none", "无")
TOTAL = "_T"
MASK_BITS = 30  # contraception flags per integer column (fits a 32-bit INT on both engines)
RESULT_SCHEMA = {
    "indicator": pl.Utf8, "label": pl.Utf8, "unit": pl.Utf8, "level": pl.Utf8, "ref_area": pl.Utf8,
    "period": pl.Utf8, "sex": pl.Utf8, "age": pl.Utf8, "value": pl.Float64, "numerator": pl.Float64,
    "denominator": pl.Float64,
}
CUBES = ("pop", "pop_reg", "births", "deaths", "moves_in", "moves_out", "assistance")


@dataclass(frozen=True)
class Term:
    """One signed weighted count over a cube."""

    cube: str
    at: str | None = None
    where: tuple[str, ...] = ()
    by: tuple[tuple[str, str], ...] = ()
    sign: int = 1


@dataclass
class IndicatorDef:
    """One indicator of the definitions file."""

    code: str
    label: str
    unit: str
    numerator: list[Term] = field(default_factory=list)
    denominator: list[Term] | None = None
    factor: float = 1.0
    derive: dict[str, Any] | None = None


def _term(spec: Any, measures: dict[str, dict[str, Any]], where: str) -> Term:
    sign = 1
    extra_where: list[str] = []
    by: dict[str, str] = {}
    if isinstance(spec, str):
        name = spec
        if name.startswith("-"):
            sign, name = -1, name[1:]
    elif isinstance(spec, dict) and "measure" in spec:
        name = spec["measure"]
        by = dict(spec.get("by") or {})
        if spec.get("where"):
            extra_where.append(spec["where"])
    else:
        raise ConfigError(f"bad numerator/denominator {spec!r}", where=where,
                          why="a measure name, '-name', or {measure:, by:, where:}")
    if name not in measures:
        raise ConfigError(f"unknown measure {name!r}", where=where, why="declare it under measures:")
    m = measures[name]
    if m.get("cube") not in CUBES:
        raise ConfigError(f"measure {name!r} has unknown cube {m.get('cube')!r}", where=where,
                          why=f"cubes are {', '.join(CUBES)}")
    wheres = tuple(w for w in [m.get("where"), *extra_where] if w)
    return Term(cube=m["cube"], at=m.get("at"), where=wheres, by=tuple(sorted(by.items())), sign=sign)


def load_definitions(path: str | Path | None = None) -> list[IndicatorDef]:
    """Read and check an indicator definitions file (default: the standard one)."""
    source = Path(path) if path else DEFINITIONS
    try:
        doc = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError("cannot read indicator definitions", where=str(source), why=str(exc)) from exc
    measures = doc.get("measures") or {}
    out: list[IndicatorDef] = []
    for item in doc.get("indicators") or []:
        code = item["code"]
        where = f"{source.name}:{code}"

        def terms(spec: Any, where: str = where) -> list[Term]:
            specs = spec if isinstance(spec, list) else [spec]
            return [_term(s, measures, where) for s in specs]

        out.append(IndicatorDef(
            code=code, label=item.get("label", code), unit=str(item.get("unit", "")),
            numerator=terms(item["numerator"]) if "numerator" in item else [],
            denominator=terms(item["denominator"]) if item.get("denominator") else None,
            factor=float(item.get("factor", 1)), derive=item.get("derive"),
        ))
    return out


@lru_cache(maxsize=1)
def standard_definitions() -> tuple[IndicatorDef, ...]:
    """The standard indicator set (cached)."""
    return tuple(load_definitions())


def _age_expr(birth: str, on: str) -> str:
    """Exact age in completed years at date ``on`` (standard SQL both dialects accept)."""
    return (f"(year({on}) - year({birth}) - CASE WHEN month({birth}) > month({on}) OR "
            f"(month({birth}) = month({on}) AND day({birth}) > day({on})) THEN 1 ELSE 0 END)")


def _age_groups() -> pl.DataFrame:
    ages = list(range(0, 101))
    return pl.DataFrame({
        "age": ages,
        "age5": [f"{a // 5 * 5}-{a // 5 * 5 + 4}" if a < 85 else "85+" for a in ages],
    }, schema={"age": pl.Int32, "age5": pl.Utf8})


def _periods_frame(periods: list[Period]) -> pl.DataFrame:
    return pl.DataFrame({
        "period": [p.code for p in periods],
        "start_date": [p.start for p in periods],
        "end_date": [p.end for p in periods],
        "before_date": [p.start - dt.timedelta(days=1) for p in periods],
        "year": [p.year for p in periods],
    }, schema={"period": pl.Utf8, "start_date": pl.Date, "end_date": pl.Date, "before_date": pl.Date,
               "year": pl.Int32})


def _age_at(birth: str, on: dt.date) -> str:
    """Exact age in completed years at a literal date (constant-folded by both engines)."""
    return (f"({on.year} - year({birth}) - CASE WHEN month({birth}) > {on.month} OR "
            f"(month({birth}) = {on.month} AND day({birth}) > {on.day}) THEN 1 ELSE 0 END)")


def _uses(sql: str, name: str) -> bool:
    return re.search(rf"\b{name}\b", sql) is not None


def _types_sql(dates: list[dt.date]) -> dict[str, str]:
    """Persons pre-aggregated into types: everything a population count at ``dates`` depends on.

    Age and survival at a date depend on a person only through the birth year, the birth day's rank among
    the dates' month·day values (``bb``), and how many dates the person outlives (``db``); the contraception
    status at each date is one bit of ``cmask<w>``. Grouping persons by these (and division, sex, married)
    leaves far fewer rows (1.7 M types for the 10 M-person benchmark), so each date scans the types table
    instead of every person, and persons are read once.
    """
    married = ", ".join(f"'{c}'" for c in MARRIED_CODES)
    mds = sorted({d.month * 100 + d.day for d in dates})
    bmd = "(month(pe.birth_date) * 100 + day(pe.birth_date))"
    # no birthday falls after 31 December: skip that comparison (all dates are year ends for calendar years)
    bb = " + ".join([f"CASE WHEN {bmd} > {m} THEN 1 ELSE 0 END" for m in mds if m != 1231] or ["0"])
    db = " + ".join(f"CASE WHEN pe.death_date > DATE '{d.isoformat()}' THEN 1 ELSE 0 END" for d in dates)
    words: dict[int, list[str]] = {}
    for k, d in enumerate(dates):
        words.setdefault(k // MASK_BITS, []).append(
            f"COALESCE(MAX(CASE WHEN as_of <= DATE '{d.isoformat()}' AND (next_as_of IS NULL OR next_as_of > "
            f"DATE '{d.isoformat()}') THEN uses END), 0) * {1 << (k % MASK_BITS)}")
    masks = [f"cmask{w}" for w in words]
    bits = [" + ".join(terms) + f" AS cmask{w}" for w, terms in words.items()]
    keys = f"residence_division, registered_division, sex, byear, bb, db, married, {', '.join(masks)}"
    return {
        "s_contra_wide": f"SELECT person_id, {', '.join(bits)} FROM s_contra GROUP BY person_id",
        "s_types": (
            f"SELECT {keys}, COUNT(*) AS n FROM ("
            "SELECT pe.residence_division, pe.registered_division, pe.sex, year(pe.birth_date) AS byear, "
            f"{bb} AS bb, "
            f"CASE WHEN pe.death_date IS NULL THEN {len(dates)} ELSE {db} END AS db, "
            f"CASE WHEN pe.marital_status IN ({married}) THEN 1 ELSE 0 END AS married, "
            + ", ".join(f"COALESCE(w.{m}, 0) AS {m}" for m in masks) + " "
            "FROM persons pe LEFT JOIN s_contra_wide w ON w.person_id = pe.person_id "
            f"WHERE pe.birth_date <= DATE '{dates[-1].isoformat()}' "
            f"AND (pe.death_date IS NULL OR pe.death_date > DATE '{dates[0].isoformat()}')"
            f") p GROUP BY {keys}"
        ),
    }


def _scan_sql(d: dt.date, dates: list[dt.date], division: str) -> str:
    """Types alive at date ``d`` with their age, sex and flags there (``n`` persons each)."""
    k = dates.index(d)
    i = sorted({x.month * 100 + x.day for x in dates}).index(d.month * 100 + d.day)
    return (f"SELECT DATE '{d.isoformat()}' AS d, pe.{division} AS county, pe.sex AS sex, "
            f"LEAST({d.year} - pe.byear - CASE WHEN pe.bb > {i} THEN 1 ELSE 0 END, 100) AS age, "
            f"pe.married, CASE WHEN (pe.cmask{k // MASK_BITS} & {1 << (k % MASK_BITS)}) <> 0 "
            "THEN 1 ELSE 0 END AS contracepting, pe.n "
            f"FROM s_types pe WHERE pe.db > {k} AND (pe.byear < {d.year} OR "
            f"(pe.byear = {d.year} AND pe.bb <= {i})) AND pe.{division} IS NOT NULL")


def pop_measure_sql(terms: list[Term],
                    periods: list[Period]) -> tuple[dict[str, str], dict[Term, tuple[str, str]]]:
    """Population measures compiled into conditional sums over one scan of person types per distinct date.

    ``s_types`` groups persons by what a count at the dates depends on (see ``_types_sql``); the end of one
    calendar year is the start of the next, so each date is scanned once, with literal dates: a plain
    filtered aggregation on both engines. All terms of a cube share one table
    ``m_<cube>(d, county, by…, m0, m1, …)`` grouped by every by-column any of them uses (a term sums over
    the others); five-year age groups are joined after aggregating by single age.
    Returns the SQL of each table in build order and where each term's count lives.
    """
    dates = sorted({d for p in periods for d in (p.start - dt.timedelta(days=1), p.end)})
    ends = sorted({p.end for p in periods})
    tables: dict[str, str] = _types_sql(dates)
    where_is: dict[Term, tuple[str, str]] = {}
    sources = (("pop", "residence_division", dates), ("pop_reg", "registered_division", ends))
    for cube, division, at_dates in sources:
        mine = [t for t in terms if t.cube == cube]
        if not mine:
            continue
        # one table per cube grouped by every by-column any term uses; a term sums over the columns it
        # does not break down by, so coarser terms read the same table
        sig = tuple(sorted({col for t in mine for _, col in t.by}))
        name = f"m_{cube}"
        conds: dict[tuple[str, ...], str] = {}
        for t in mine:
            conds.setdefault(t.where, f"m{len(conds)}")
            where_is[t] = (name, conds[t.where])
        early_age5 = any(_uses(w, "age5") for k in conds for w in k)
        scans = [_scan_sql(d, dates, division) for d in at_dates]
        rows = " UNION ALL ".join(scans)
        if early_age5:
            rows = f"SELECT q.*, g.age5 FROM ({rows}) q JOIN s_ages g ON g.age = q.age"
        sums = ", ".join(
            f"SUM(CASE WHEN {' AND '.join(f'({w})' for w in key) or '1 = 1'} THEN n ELSE 0 END) AS {col}"
            for key, col in conds.items())
        cols = list(conds.values())
        if "age5" in sig and not early_age5:
            # group by an integer age-group index (cheap to hash), name the groups afterwards
            rows = f"SELECT q.*, CAST(FLOOR(LEAST(q.age, 85) / 5) AS INT) AS age5i FROM ({rows}) q"
            inner_keys = "".join(f", {c}" for c in sig if c != "age5") + ", age5i"
            inner = f"SELECT d, county{inner_keys}, {sums} FROM ({rows}) r GROUP BY d, county{inner_keys}"
            keys = "".join(f", x.{c}" if c != "age5" else ", g.age5" for c in sig)
            picked = ", ".join(f"x.{c}" for c in cols)
            tables[name] = (f"SELECT x.d, x.county{keys}, {picked} FROM ({inner}) x "
                            "JOIN s_age5 g ON g.age5i = x.age5i")
        else:
            keys = "".join(f", {c}" for c in sig)
            tables[name] = f"SELECT d, county{keys}, {sums} FROM ({rows}) r GROUP BY d, county{keys}"
        if sig:
            # terms without a breakdown read a table already summed over the by-columns
            total = f"{name}_t"
            tables[total] = (f"SELECT d, county, {', '.join(f'SUM({c}) AS {c}' for c in cols)} FROM {name} "
                             "GROUP BY d, county")
            for t in mine:
                if not t.by:
                    where_is[t] = (total, where_is[t][1])
    return tables, where_is


def cube_sql(periods: list[Period], terms: list[Term] | None = None) -> dict[str, str]:
    """The SQL of each county-level table, in build order."""
    nonuse = ", ".join(f"'{c}'" for c in NON_USE_METHODS)
    pop_tables, _ = pop_measure_sql(terms or [], periods)
    age_mother = _age_expr("m.birth_date", "b.birth_date")
    age_dead = _age_expr("pe.birth_date", "x.death_date")
    return {
        "s_points": "SELECT period, 'start' AS at, before_date AS d FROM s_periods "
                    "UNION ALL SELECT period, 'end' AS at, end_date AS d FROM s_periods",
        # each contraception record with the date the next one replaces it: one window pass, no dates join
        "s_contra": (
            "SELECT person_id, as_of, "
            "LEAD(as_of) OVER (PARTITION BY person_id ORDER BY as_of) AS next_as_of, "
            f"CASE WHEN method IS NULL OR method IN ({nonuse}) THEN 0 ELSE 1 END AS uses "
            "FROM contraception WHERE as_of IS NOT NULL"
        ),
        **pop_tables,
        "cube_births": (
            "SELECT q.period, q.county, q.sex, q.birth_order, q.mother_age, g.age5 AS mother_age5, q.n FROM ("
            "SELECT p.period, COALESCE(b.division, m.residence_division) AS county, b.sex, "
            "CASE WHEN b.birth_order >= 3 THEN '3+' WHEN b.birth_order = 2 THEN '2' "
            "WHEN b.birth_order = 1 THEN '1' ELSE '?' END AS birth_order, "
            f"{age_mother} AS mother_age, COUNT(*) AS n "
            "FROM births b JOIN s_periods p ON b.birth_date >= p.start_date AND b.birth_date <= p.end_date "
            "LEFT JOIN persons m ON m.person_id = b.mother_id GROUP BY 1, 2, 3, 4, 5) q "
            "LEFT JOIN s_ages g ON g.age = q.mother_age"
        ),
        "cube_deaths": (
            "SELECT q.period, q.county, q.sex, q.age, g.age5, q.n FROM ("
            "SELECT p.period, COALESCE(x.division, pe.residence_division) AS county, pe.sex, "
            f"LEAST({age_dead}, 100) AS age, COUNT(*) AS n "
            "FROM deaths x JOIN s_periods p ON x.death_date >= p.start_date AND x.death_date <= p.end_date "
            "LEFT JOIN persons pe ON pe.person_id = x.person_id GROUP BY 1, 2, 3, 4) q "
            "LEFT JOIN s_ages g ON g.age = q.age"
        ),
        "cube_moves": (
            "SELECT p.period, v.from_division AS from_county, v.to_division AS to_county, COUNT(*) AS n "
            "FROM moves v JOIN s_periods p ON v.move_date >= p.start_date AND v.move_date <= p.end_date "
            "GROUP BY 1, 2, 3"
        ),
        "cube_assistance": (
            "SELECT p.period, a.division AS county, a.kind, COUNT(*) AS n "
            "FROM assistance a JOIN s_periods p ON a.year = p.year GROUP BY 1, 2, 3"
        ),
    }


def term_sql(term: Term, level: str, where_is: dict[Term, tuple[str, str]] | None = None) -> str:
    """SQL of one measure at one division level: period, ref_area, dims…, value."""
    if term.cube in ("pop", "pop_reg"):
        table, col = (where_is or {})[term]
        dims = "".join(f", q.{c} AS {dim}" for dim, c in term.by)
        group = "".join(f", q.{c}" for _, c in term.by)
        at = "end" if term.cube == "pop_reg" else (term.at or "end")
        weight, cond = (f"q.{col} * 0.5", "") if at == "avg" else (f"q.{col}", f" AND t.at = '{at}'")
        return (f"SELECT t.period, d.{level} AS ref_area{dims}, SUM({weight}) AS value FROM {table} q "
                f"JOIN s_points t ON t.d = q.d{cond} JOIN s_divmap d ON d.code = q.county "
                f"GROUP BY t.period, d.{level}{group}")
    dims = "".join(f", {col} AS {dim}" for dim, col in term.by)
    group = "".join(f", {col}" for _, col in term.by)
    wheres = [f"({w})" for w in term.where]
    if term.cube in ("moves_in", "moves_out"):
        own, other = ("t", "f") if term.cube == "moves_in" else ("f", "t")
        wheres.append(f"COALESCE({other}.{level}, '') <> {own}.{level}")
        where = " AND ".join(wheres)
        return (f"SELECT c.period, {own}.{level} AS ref_area{dims}, SUM(c.n) AS value FROM cube_moves c "
                "LEFT JOIN s_divmap f ON f.code = c.from_county LEFT JOIN s_divmap t ON t.code = c.to_county "
                f"WHERE {own}.{level} IS NOT NULL AND {where} GROUP BY c.period, {own}.{level}{group}")
    weight = "c.n"
    where = " AND ".join(wheres) if wheres else "1 = 1"
    return (f"SELECT c.period, d.{level} AS ref_area{dims}, SUM({weight}) AS value FROM cube_{term.cube} c "
            f"JOIN s_divmap d ON d.code = c.county WHERE {where} GROUP BY c.period, d.{level}{group}")


def _combine(terms: list[Term], results: dict[tuple[Term, str], pl.DataFrame], level: str) -> pl.DataFrame:
    frames = []
    for term in terms:
        frame = results[(term, level)]
        frame = frame.with_columns(
            (pl.col("value").cast(pl.Float64) * term.sign).alias("value"),
            *[pl.col(dim).cast(pl.Utf8) for dim, _ in term.by],
        )
        frames.append(frame)
    dims = sorted({dim for t in terms for dim, _ in t.by})
    keys = ["period", "ref_area", *dims]
    combined = pl.concat([f.select(*keys, "value") for f in frames], how="diagonal")
    return combined.group_by(keys).agg(pl.col("value").sum())


class IndicatorEngine:
    """Computes indicators for a snapshot on one backend; cubes are built once per set of periods."""

    def __init__(self, snapshot: Snapshot, backend: Backend | str = "duckdb",
                 definitions: list[IndicatorDef] | None = None) -> None:
        self.snapshot = snapshot
        self.backend = make_backend(backend) if isinstance(backend, str) else backend
        self.definitions = list(definitions or standard_definitions())
        self.divmap = division_map(snapshot.divisions())
        self._periods: tuple[str, ...] | None = None
        self._where_is: dict[Term, tuple[str, str]] = {}
        for name, frame in snapshot.tables().items():
            self.backend.register(name, frame)
        self.backend.register("s_ages", _age_groups())
        self.backend.register("s_age5", _age_groups().group_by("age5").agg(
            (pl.col("age").min() // 5).cast(pl.Int32).alias("age5i")))
        self.backend.register("s_divmap", self.divmap)

    def _build(self, periods: list[Period]) -> None:
        codes = tuple(p.code for p in periods)
        if self._periods == codes:
            return
        self.backend.register("s_periods", _periods_frame(periods))
        terms = sorted({t for d in self.definitions for t in d.numerator + (d.denominator or [])}, key=repr)
        _, self._where_is = pop_measure_sql(terms, periods)
        for name, sql in cube_sql(periods, terms).items():
            self.backend.materialize(name, sql)
        self._periods = codes

    def compute(self, periods: list[Period] | str, *, level: str = "county", division: str | None = None,
                indicators: list[str] | None = None) -> pl.DataFrame:
        """Indicators for every division at ``level`` (within ``division`` if given) and period."""
        if isinstance(periods, str):
            periods = parse_periods(periods)
        if level not in LEVELS:
            raise InputError(f"unknown level {level!r}", where="--level",
                             why=f"use one of {', '.join(LEVELS)}")
        defs = self._select(indicators)
        self._build(periods)
        needed = sorted({t for d in defs for t in (d.numerator + (d.denominator or []))}, key=repr)
        results = self._run_terms(needed, level)
        rows = [self._indicator(d, results, level) for d in defs if not d.derive]
        by_code = {d.code: r for d, r in zip([d for d in defs if not d.derive], rows, strict=True)}
        for d in defs:
            if d.derive:
                source = by_code.get(d.derive["from"])
                if source is None:
                    source = self._indicator(self._def(d.derive["from"]), results, level)
                rows.append(derive(d, source))
        out = pl.concat([r.select(list(RESULT_SCHEMA)) for r in rows], how="vertical_relaxed").cast(
            RESULT_SCHEMA)  # type: ignore[arg-type]
        if division:
            out = self.within(out, division, level)
        # rows come grouped by indicator in definition order; no global sort (it costs more than the rest
        # of the post-processing on a national register)
        return out.with_columns(pl.lit(level).alias("level"))

    def _run_terms(self, terms: list[Term], level: str) -> dict[tuple[Term, str], pl.DataFrame]:
        """All measures in one UNION ALL query (one job on Spark instead of one per measure)."""
        parts = []
        for i, term in enumerate(terms):
            by = dict(term.by)
            sql = term_sql(term, level, self._where_is)
            dims = ", ".join(f"{'q.' + d if d in by else 'NULL'} AS {d}" for d in ("SEX", "AGE"))
            parts.append(f"SELECT {i} AS term, q.period, q.ref_area, {dims}, "
                         f"CAST(q.value AS DOUBLE) AS value FROM ({sql}) q")
        frame = self.backend.query(" UNION ALL ".join(parts))
        groups = frame.partition_by("term", as_dict=True)
        empty = frame.clear()
        out = {}
        for i, term in enumerate(terms):
            part = groups.get((i,), empty)
            out[(term, level)] = part.select("period", "ref_area", *[d for d, _ in term.by], "value")
        return out

    def _def(self, code: str) -> IndicatorDef:
        for d in self.definitions:
            if d.code == code:
                return d
        raise ConfigError(f"unknown indicator {code!r}", where="indicators",
                          why=f"known: {', '.join(d.code for d in self.definitions)}")

    def _select(self, codes: list[str] | None) -> list[IndicatorDef]:
        if not codes:
            return self.definitions
        chosen = [self._def(c) for c in codes]
        for d in list(chosen):
            if d.derive and d.derive["from"] not in codes:
                chosen.insert(0, self._def(d.derive["from"]))
        return chosen

    def _indicator(self, d: IndicatorDef, results: dict[tuple[Term, str], pl.DataFrame],
                   level: str) -> pl.DataFrame:
        num = _combine(d.numerator, results, level).rename({"value": "numerator"})
        if d.denominator:
            den = _combine(d.denominator, results, level).rename({"value": "denominator"})
            keys = [c for c in num.columns if c != "numerator" and c in den.columns]
            frame = den.join(num, on=keys, how="left").with_columns(pl.col("numerator").fill_null(0.0))
            frame = frame.with_columns(
                pl.when(pl.col("denominator") > 0)
                .then(pl.col("numerator") / pl.col("denominator") * d.factor)
                .otherwise(None).alias("value"))
        else:
            frame = num.with_columns(pl.lit(None, dtype=pl.Float64).alias("denominator"),
                                     (pl.col("numerator") * d.factor).alias("value"))
        for dim in ("SEX", "AGE"):
            if dim not in frame.columns:
                frame = frame.with_columns(pl.lit(TOTAL).alias(dim))
        return frame.select(
            pl.lit(d.code).alias("indicator"), pl.lit(d.label).alias("label"), pl.lit(d.unit).alias("unit"),
            pl.lit(level).alias("level"), "ref_area", "period",
            pl.col("SEX").fill_null("?").alias("sex"), pl.col("AGE").fill_null("?").alias("age"),
            "value", "numerator", "denominator")

    def within(self, frame: pl.DataFrame, division: str, level: str) -> pl.DataFrame:
        """Keep rows whose division lies in ``division`` (or is it)."""
        div_level = level_of(division)
        if LEVELS.index(div_level) > LEVELS.index(level):
            raise InputError(f"{division} is a {div_level}, finer than level {level}", where="--division",
                             why="choose a level at or below the division")
        keep = self.divmap.filter(pl.col(div_level) == division).get_column(level).unique()
        return frame.filter(pl.col("ref_area").is_in(keep.implode()))

    def close(self) -> None:
        """Release the backend's tables."""
        self.backend.close()


def derive(d: IndicatorDef, source: pl.DataFrame) -> pl.DataFrame:
    """An indicator built from another one's rows (e.g. TFR = 5 × Σ ASFR / 1000)."""
    spec = d.derive or {}
    over = str(spec.get("sum_over", "AGE")).lower()
    keys = [k for k in ("level", "ref_area", "period", "sex", "age") if k != over]
    grouped = source.filter(pl.col(over) != TOTAL).group_by(keys).agg(
        (pl.col("value").fill_null(0).sum() * float(spec.get("multiply", 1)) / float(spec.get("divide", 1)))
        .alias("value"))
    return grouped.select(
        pl.lit(d.code).alias("indicator"), pl.lit(d.label).alias("label"), pl.lit(d.unit).alias("unit"),
        "level", "ref_area", "period", "sex", pl.lit(TOTAL).alias(over),
        "value", pl.lit(None, dtype=pl.Float64).alias("numerator"),
        pl.lit(None, dtype=pl.Float64).alias("denominator"))


def tfr_from_asfr(asfr_per_1000: list[float] | pl.Series, width: int = 5) -> float:
    """Total fertility rate from age-group rates per 1,000 women: width × Σ ASFR / 1000."""
    values = pl.Series(asfr_per_1000, dtype=pl.Float64)
    return float(values.fill_null(0).sum()) * width / 1000.0


def compute_indicators(snapshot: Snapshot, periods: str | list[Period], *, level: str = "county",
                       division: str | None = None, engine: str = "duckdb",
                       indicators: list[str] | None = None) -> pl.DataFrame:
    """One-shot: indicators of a snapshot on ``engine`` (``duckdb`` or ``spark``)."""
    eng = IndicatorEngine(snapshot, engine)
    try:
        return eng.compute(periods, level=level, division=division, indicators=indicators)
    finally:
        eng.close()


def compute_all_levels(snapshot: Snapshot, periods: str | list[Period],
                       engine: str = "duckdb") -> pl.DataFrame:
    """Indicators at province, prefecture and county level in one table (cubes built once)."""
    eng = IndicatorEngine(snapshot, engine)
    try:
        return pl.concat([eng.compute(periods, level=lvl) for lvl in LEVELS])
    finally:
        eng.close()
