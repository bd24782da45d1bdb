"""Cohort-component population projection by single year of age (0..100+) and sex, every county at once.

Arrays are county × age × sex (sex 0 = male, 1 = female). One step of one year:
- survivors: P'[a+1] = P[a] · (1 − q[a]); the open group 100+ keeps its own survivors too;
- births: B = Σ_a f[a] · ½ (W[a](t) + W[a](t+1)) over women 15–49 (f = TFR × the age pattern);
- newborns alive at the end of the year: B · (1 − ½ q[0]), split by the sex ratio at birth;
- net migration M[c, a, s] is added at the end of the year (zero unless given).
Because a step is linear in the population, a prefecture's projection is the sum of its counties'.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from padis.errors import InputError
from padis.stats.divisions import division_map
from padis.stats.snapshot import Snapshot

AGES = 101
FERTILE = slice(15, 50)
SEX_CODES = ("1", "2")


@dataclass
class Assumptions:
    """Rates held constant over the projection."""

    fertility: np.ndarray            # (35,) births per woman by single age 15..49 (sums to the TFR)
    mortality: np.ndarray            # (101, 2) probability of dying within the year, by age and sex
    srb: float = 1.11                # boys per girl at birth
    migration: np.ndarray | None = None  # (counties, 101, 2) net migrants per year, or None for zero

    @property
    def tfr(self) -> float:
        """Total fertility rate implied by the age-specific rates."""
        return float(self.fertility.sum())

    def with_tfr(self, tfr: float) -> Assumptions:
        """The same pattern scaled to another TFR."""
        total = self.fertility.sum()
        shape = self.fertility / total if total > 0 else default_fertility_shape()
        return Assumptions(shape * tfr, self.mortality, self.srb, self.migration)


def default_fertility_shape() -> np.ndarray:
    """A model age pattern of fertility (peak near 28), normalised to sum 1."""
    ages = np.arange(15, 50, dtype=float)
    shape = np.exp(-0.5 * ((ages - 28.0) / 5.5) ** 2)
    return shape / shape.sum()


def model_mortality() -> np.ndarray:
    """A Gompertz–Makeham schedule with infant mortality (life expectancy near 78), q by age and sex."""
    ages = np.arange(AGES, dtype=float)
    male = 0.0004 + 0.00004 * np.exp(0.095 * ages)
    female = 0.0003 + 0.000025 * np.exp(0.097 * ages)
    m = np.stack([male, female], axis=1)
    m[0] += [0.006, 0.005]
    m = np.minimum(m, 1.5)
    q = m / (1 + 0.5 * m)
    q[-1] = np.maximum(q[-1], 0.5)
    return q


def step(pop: np.ndarray, a: Assumptions) -> np.ndarray:
    """Project a (counties, 101, 2) population one year ahead."""
    surv = 1.0 - a.mortality
    new = np.zeros_like(pop)
    new[:, 1:AGES - 1, :] = pop[:, 0:AGES - 2, :] * surv[None, 0:AGES - 2, :]
    new[:, AGES - 1, :] = pop[:, AGES - 2, :] * surv[AGES - 2] + pop[:, AGES - 1, :] * surv[AGES - 1]
    women = 0.5 * (pop[:, FERTILE, 1] + new[:, FERTILE, 1])
    births = women @ a.fertility
    male_share = a.srb / (1.0 + a.srb)
    new[:, 0, 0] = births * male_share * (1.0 - 0.5 * a.mortality[0, 0])
    new[:, 0, 1] = births * (1.0 - male_share) * (1.0 - 0.5 * a.mortality[0, 1])
    if a.migration is not None:
        new += a.migration
    return np.maximum(new, 0.0)


def project(base: np.ndarray, years: int, assumptions: Assumptions) -> np.ndarray:
    """Populations for years 0..``years`` as (years + 1, counties, 101, 2)."""
    if base.ndim != 3 or base.shape[1:] != (AGES, 2):
        raise InputError("base population must be counties × 101 ages × 2 sexes", where="projection",
                         why=f"got shape {base.shape}")
    out = np.empty((years + 1, *base.shape))
    out[0] = base
    for t in range(years):
        out[t + 1] = step(out[t], assumptions)
    return out


@dataclass
class ProjectionResult:
    """Projected populations per scenario for a set of counties."""

    base_year: int
    counties: list[str]
    scenarios: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (years+1, C, 101, 2)

    def totals(self, level: str = "county", division: str | None = None) -> pl.DataFrame:
        """Total population by scenario, division (at ``level``) and year."""
        mapping = division_map(self.counties)
        codes = mapping.join(pl.DataFrame({"code": self.counties}), on="code", how="right")
        targets = codes.get_column(level).to_list()
        frames = []
        for name, arr in self.scenarios.items():
            by_county = arr.sum(axis=(2, 3))  # (years+1, C)
            years = np.arange(arr.shape[0]) + self.base_year
            frame = pl.DataFrame({
                "year": np.repeat(years, len(self.counties)),
                "ref_area": np.tile(np.array(targets, dtype=object), arr.shape[0]),
                "population": by_county.reshape(-1),
            }).group_by("year", "ref_area").agg(pl.col("population").sum())
            frames.append(frame.with_columns(pl.lit(name).alias("scenario")))
        out = pl.concat(frames).select("scenario", "ref_area", "year", "population")
        if division:
            keep = mapping.filter(pl.col(_level(division)) == division).get_column(level).unique()
            out = out.filter(pl.col("ref_area").is_in(keep.implode()))
        return out.sort("scenario", "ref_area", "year")

    def pyramid(self, scenario: str, year_index: int, division: str | None = None) -> pl.DataFrame:
        """Population by single age and sex for one scenario and year, summed over the division's counties."""
        arr = self.scenarios[scenario][year_index]
        mask = np.ones(len(self.counties), dtype=bool)
        if division:
            mapping = division_map(self.counties)
            inside = set(mapping.filter(pl.col(_level(division)) == division).get_column("code").to_list())
            mask = np.array([c in inside for c in self.counties])
        total = arr[mask].sum(axis=0)
        return pl.DataFrame({"age": np.arange(AGES), "male": total[:, 0], "female": total[:, 1]})


def _level(code: str) -> str:
    from padis.stats.divisions import level_of

    return level_of(code)


def base_population(snapshot: Snapshot, on: dt.date) -> tuple[list[str], np.ndarray]:
    """Counties and the (C, 101, 2) population alive at the end of day ``on`` by age and sex."""
    p = snapshot.persons.filter(
        (pl.col("birth_date") <= on) & (pl.col("death_date").is_null() | (pl.col("death_date") > on))
        & pl.col("sex").is_in(SEX_CODES) & pl.col("residence_division").is_not_null())
    p = p.with_columns(age=_age(pl.col("birth_date"), on)).with_columns(pl.col("age").clip(0, AGES - 1))
    counts = p.group_by("residence_division", "age", "sex").len()
    if counts.height == 0:
        return [], np.zeros((0, AGES, 2))
    counties = sorted(counts.get_column("residence_division").unique().to_list())
    arr = np.zeros((len(counties), AGES, 2))
    index = {c: i for i, c in enumerate(counties)}
    ci = counts.get_column("residence_division").replace_strict(index, return_dtype=pl.Int64).to_numpy()
    si = (counts.get_column("sex") == "2").cast(pl.Int64).to_numpy()
    np.add.at(arr, (ci, counts.get_column("age").to_numpy(), si), counts.get_column("len").to_numpy())
    return counties, arr


def _age(birth: pl.Expr, on: dt.date) -> pl.Expr:
    before = (birth.dt.month() > on.month) | ((birth.dt.month() == on.month) & (birth.dt.day() > on.day))
    return (on.year - birth.dt.year() - before.cast(pl.Int32)).cast(pl.Int64)


def register_assumptions(snapshot: Snapshot, year: int, min_deaths: int = 200) -> Assumptions:
    """Fertility pattern, mortality and sex ratio at birth observed in the register in ``year``.

    Rates are pooled over all counties (county rates are too noisy). When the year has fewer than
    ``min_deaths`` deaths the model mortality schedule is used instead; fertility falls back to a model
    pattern at the observed TFR when there are no births.
    """
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    counties, pop_start = base_population(snapshot, start - dt.timedelta(days=1))
    _, pop_end = base_population(snapshot, end)
    exposure = 0.5 * (pop_start.sum(axis=0) + pop_end.sum(axis=0))  # (101, 2)
    mothers = snapshot.persons.select(pl.col("person_id").alias("mother_id"),
                                      pl.col("birth_date").alias("mb"))
    births = snapshot.births.filter(pl.col("birth_date").is_between(start, end)).join(
        mothers, on="mother_id", how="left")
    births = births.with_columns(
        mage=(pl.col("birth_date").dt.year() - pl.col("mb").dt.year()
              - ((pl.col("birth_date").dt.ordinal_day() < pl.col("mb").dt.ordinal_day()).cast(pl.Int64))))
    by_age = births.filter(pl.col("mage").is_between(15, 49)).group_by("mage").len()
    fert = np.zeros(35)
    if by_age.height:
        np.add.at(fert, by_age.get_column("mage").to_numpy() - 15, by_age.get_column("len").to_numpy())
    women = exposure[FERTILE, 1]
    asfr = np.divide(fert, women, out=np.zeros(35), where=women > 0)
    tfr = asfr.sum()
    fertility = asfr if fert.sum() >= 100 else default_fertility_shape() * (tfr if tfr > 0 else 1.3)
    boys = int((births.get_column("sex") == "1").sum())
    girls = int((births.get_column("sex") == "2").sum())
    srb = boys / girls if girls >= 50 else 1.11
    deaths = snapshot.deaths.filter(pl.col("death_date").is_between(start, end)).join(
        snapshot.persons.select("person_id", "sex", "birth_date"), on="person_id", how="left")
    mortality = model_mortality()
    if deaths.height >= min_deaths:
        deaths = deaths.with_columns(age=(pl.col("death_date").dt.year() - pl.col("birth_date").dt.year())
                                     .clip(0, AGES - 1)).filter(pl.col("sex").is_in(SEX_CODES))
        d = np.zeros((AGES, 2))
        np.add.at(d, (deaths.get_column("age").to_numpy(), (deaths.get_column("sex") == "2").cast(pl.Int64)
                      .to_numpy()), 1)
        # pool into 5-year groups (85+ open) so that single ages are not noise
        group = np.minimum(np.arange(AGES) // 5, 17)
        dg = np.zeros((18, 2))
        eg = np.zeros((18, 2))
        np.add.at(dg, group, d)
        np.add.at(eg, group, exposure)
        m = np.divide(dg, eg, out=np.zeros_like(dg), where=eg > 0)[group]
        mortality = np.clip(m / (1 + 0.5 * m), 0.0, 1.0)
        mortality[-1] = np.maximum(mortality[-1], 0.3)
    return Assumptions(fertility=fertility, mortality=mortality, srb=srb)


def project_snapshot(snapshot: Snapshot, base_year: int, years: int, tfrs: dict[str, float] | None = None,
                     migration: bool = False) -> ProjectionResult:
    """Project every county of the snapshot from the end of ``base_year`` under TFR scenarios.

    ``migration``: add each county's net moves of the base year by age and sex every year (else zero).
    """
    if years < 1 or years > 200:
        raise InputError(f"cannot project {years} years", where="--years", why="1..200")
    counties, base = base_population(snapshot, dt.date(base_year, 12, 31))
    if not counties:
        raise InputError(f"no population alive at the end of {base_year}", where="projection",
                         why="the snapshot is empty for that year")
    assumptions = register_assumptions(snapshot, base_year)
    if migration:
        assumptions.migration = _net_migration(snapshot, base_year, counties)
    tfrs = tfrs or {f"TFR {assumptions.tfr:.2f}": assumptions.tfr}
    result = ProjectionResult(base_year=base_year, counties=counties)
    for name, tfr in tfrs.items():
        result.scenarios[name] = project(base, years, assumptions.with_tfr(tfr))
    return result


def _net_migration(snapshot: Snapshot, year: int, counties: list[str]) -> np.ndarray:
    moves = snapshot.moves.filter(pl.col("move_date").dt.year() == year).join(
        snapshot.persons.select("person_id", "sex", "birth_date"), on="person_id", how="inner")
    moves = moves.with_columns(age=(pl.col("move_date").dt.year() - pl.col("birth_date").dt.year())
                               .clip(0, AGES - 1), s=(pl.col("sex") == "2").cast(pl.Int64))
    index = {c: i for i, c in enumerate(counties)}
    net = np.zeros((len(counties), AGES, 2))
    for col, sign in (("to_division", 1.0), ("from_division", -1.0)):
        crossing = pl.col("from_division") != pl.col("to_division")
        part = moves.filter(pl.col(col).is_in(list(index)) & crossing)
        ci = part.get_column(col).replace_strict(index, return_dtype=pl.Int64).to_numpy()
        np.add.at(net, (ci, part.get_column("age").to_numpy(), part.get_column("s").to_numpy()), sign)
    return net


def parse_scenarios(spec: str) -> dict[str, float]:
    """``tfr=1.0,1.3,1.6`` → {"TFR 1.0": 1.0, ...}."""
    text = spec.strip()
    if text.lower().startswith("tfr="):
        text = text[4:]
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError as exc:
        raise InputError(f"bad scenario list {spec!r}", where="--scenario",
                         why="e.g. tfr=1.0,1.3,1.6") from exc
    if not values or any(v < 0 or v > 10 for v in values):
        raise InputError(f"bad scenario list {spec!r}", where="--scenario",
                         why="TFR values between 0 and 10")
    return {f"TFR {v:g}": v for v in values}
