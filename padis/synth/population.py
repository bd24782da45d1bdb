"""The base population: persons in households placed in real counties, calibrated to the 2020 census."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from padis.synth import calibration as cal
from padis.synth.geography import Geography
from padis.synth.ids import draw_sequences, id_keys
from padis.synth.names import draw_names

DAYS_PER_YEAR = 365.2425
# Tuning of household formation (checked against mean household size 2.62 by the tests).
YOUNG_ADULT_AT_HOME = {18: 0.85, 25: 0.5, 30: 0.3}  # never-married adults living with a parent, by age from
ELDER_CO_RESIDENCE = 0.65  # unpartnered people 65+ living with a child's family
ELDER_COUPLE_CO_RESIDENCE = 0.3  # couples with husband 70+ living with a child's family
SPOUSE_ABSENT_SINGLE = 1.0  # married people whose spouse is not in the population live alone


@dataclass
class Population:
    """Columnar state of every person ever in the simulation (numpy arrays of equal length)."""

    cols: dict[str, np.ndarray] = field(default_factory=dict)
    next_household: int = 0

    def __len__(self) -> int:
        return len(self.cols["person_id"])

    def __getitem__(self, name: str) -> np.ndarray:
        return self.cols[name]

    def __setitem__(self, name: str, value: np.ndarray) -> None:
        self.cols[name] = value

    def append(self, new: dict[str, np.ndarray]) -> None:
        """Add persons (every column must be given)."""
        for key in self.cols:
            self.cols[key] = np.concatenate([self.cols[key], new[key]])

    def new_households(self, count: int) -> np.ndarray:
        """Fresh household ids."""
        ids = np.arange(self.next_household, self.next_household + count, dtype=np.int64)
        self.next_household += count
        return ids


def ages_at(birth: np.ndarray, when: np.datetime64) -> np.ndarray:
    """Completed years of age at ``when`` (fast; may be off by one within a day of a birthday)."""
    days = (np.datetime64(when, "D") - birth.astype("datetime64[D]")).astype(np.int64)
    return days * 10000 // 3652425


def _group15(age: np.ndarray) -> np.ndarray:
    """Index of 5-year age groups from 15-19 (0) to 85+ (14)."""
    return np.clip((age - 15) // 5, 0, 14)


def draw_categorical(rng: np.random.Generator, cum: np.ndarray) -> np.ndarray:
    """One draw per row from a row-wise cumulative probability table [n, k]."""
    u = rng.random(cum.shape[0])[:, None]
    return np.minimum((u > cum).sum(axis=1), cum.shape[1] - 1)


def draw_marital(rng: np.random.Generator, sex: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Marital status codes 10/20/30/40 by age and sex (under 15: 10)."""
    codes = np.array([10, 20, 30, 40], dtype=np.int16)
    out = np.full(len(sex), 10, dtype=np.int16)
    for sx in ("1", "2"):
        table = np.cumsum(cal.marital_probabilities(sx), axis=1)
        m = np.flatnonzero((sex == sx) & (age >= 15))
        out[m] = codes[draw_categorical(rng, table[_group15(age[m])])]
    return out


def draw_education(rng: np.random.Generator, birth_year: np.ndarray, age: np.ndarray) -> np.ndarray:
    """GB/T 4658-2006 level codes by birth cohort; children by the stage their age allows ('' under 6)."""
    codes = np.array(cal.EDUCATION_CODES + [""])
    starts = np.array(sorted(cal.EDUCATION_BY_COHORT))
    table = np.array([cal.EDUCATION_BY_COHORT[s] for s in starts], dtype=float)
    table = np.cumsum(table / table.sum(axis=1, keepdims=True), axis=1)
    cohort = np.searchsorted(starts, birth_year, side="right") - 1
    level = draw_categorical(rng, table[cohort])
    # the young cannot have finished more than their age allows: cap the level index by age
    cap = np.select(
        [age < 6, age < 12, age < 15, age < 18, age < 21, age < 22, age < 25],
        [-1, 1, 2, 4, 5, 6, 6],
        default=7,
    )
    level = np.where(cap < 0, len(codes) - 1, np.minimum(level, np.maximum(cap, 1)))
    level = np.where((age >= 6) & (age < 15), cap, level)
    return codes[level]


def _attach(
    rng: np.random.Generator,
    target: np.ndarray,
    anchor_dates: np.ndarray,
    window: int = 40,
) -> np.ndarray:
    """Index into ``anchor_dates`` of an anchor near each target date (random among the nearest)."""
    order = np.argsort(anchor_dates, kind="stable")
    sorted_dates = anchor_dates[order]
    pos = np.searchsorted(sorted_dates, target) + rng.integers(-window, window + 1, len(target))
    return order[np.clip(pos, 0, len(order) - 1)]


def build_population(
    rng: np.random.Generator,
    persons: int,
    geo: Geography,
    ref: np.datetime64,
) -> Population:
    """Draw ``persons`` people alive on ``ref`` with census structure, households, places, names and IDs."""
    n = persons
    male_p, female_p = cal.age_group_shares()
    cat = rng.choice(2 * len(male_p), size=n, p=np.concatenate([male_p, female_p]))
    sex = np.where(cat < len(male_p), "1", "2")
    group = cat % len(male_p)
    age_days = ((group * 5 + rng.random(n) * 5) * DAYS_PER_YEAR).astype(np.int64)
    birth = (np.datetime64(ref, "D") - age_days).astype("datetime64[D]")
    age = ages_at(birth, ref)
    birth_year = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    marital = draw_marital(rng, sex, age)

    household = np.full(n, -1, dtype=np.int64)
    relationship = np.full(n, "02", dtype="<U2")
    spouse = np.full(n, -1, dtype=np.int64)
    mother = np.full(n, -1, dtype=np.int64)
    father = np.full(n, -1, dtype=np.int64)
    pop = Population()

    # couples: married men and women matched by rank of age (husband about two years older)
    men = np.flatnonzero((marital == 20) & (sex == "1"))
    women = np.flatnonzero((marital == 20) & (sex == "2"))
    k = min(men.size, women.size)
    men = np.sort(rng.choice(men, k, replace=False))
    women = np.sort(rng.choice(women, k, replace=False))
    men = men[np.argsort(age_days[men] - 2 * DAYS_PER_YEAR + rng.normal(0, 900, k), kind="stable")]
    women = women[np.argsort(age_days[women] + rng.normal(0, 900, k), kind="stable")]
    spouse[men], spouse[women] = women, men
    couple_hh = pop.new_households(k)
    household[men] = household[women] = couple_hh
    relationship[men], relationship[women] = "02", "12"

    # children and young adults at home: attached to a mother whose age fits the fertility schedule
    never = marital == 10
    home_p = np.where(age < 18, 1.0, 0.0)
    for start, p in YOUNG_ADULT_AT_HOME.items():
        home_p = np.where(never & (age >= start), p, home_p)
    dependants = np.flatnonzero(rng.random(n) < home_p)
    mothers = np.flatnonzero(
        (sex == "2") & (((marital == 20) & (household >= 0)) | (marital >= 30)) & (age < 80)
    )
    asfr_cum = np.cumsum(cal.ASFR) / cal.ASFR.sum()
    mab_years = (
        15 + 5 * np.searchsorted(asfr_cum, rng.random(dependants.size)) + rng.random(dependants.size) * 5
    )
    target = birth[dependants] - (mab_years * DAYS_PER_YEAR).astype(np.int64)
    mum = mothers[_attach(rng, target, birth[mothers])]
    gap = (birth[dependants] - birth[mum]).astype(np.int64) / DAYS_PER_YEAR
    fits = (gap >= 15) & (gap < 50)
    dependants, mum = dependants[fits], mum[fits]
    mother[dependants] = mum
    father[dependants] = spouse[mum]
    # single mothers head their own household
    lone = np.unique(mum[household[mum] < 0])
    household[lone] = pop.new_households(lone.size)
    household[dependants] = household[mum]
    relationship[dependants] = np.where(sex[dependants] == "1", "20", "30")

    # elders without a partner live with a child's family; some elderly couples too
    elders = np.flatnonzero((household < 0) & (age >= 65) & (rng.random(n) < ELDER_CO_RESIDENCE))
    hosts = np.flatnonzero(relationship == "02")
    hosts = hosts[(age[hosts] >= 30) & (age[hosts] < 65) & (spouse[hosts] >= 0)]
    if hosts.size and elders.size:
        target = birth[elders] + int(28 * DAYS_PER_YEAR)
        host = hosts[_attach(rng, target.astype("datetime64[D]"), birth[hosts])]
        household[elders] = household[host]
        relationship[elders] = np.where(sex[elders] == "1", "51", "52")
        old_men = np.flatnonzero((relationship == "02") & (sex == "1") & (age >= 70) & (spouse >= 0))
        old_men = old_men[rng.random(old_men.size) < ELDER_COUPLE_CO_RESIDENCE]
        target = birth[old_men] + int(28 * DAYS_PER_YEAR)
        host = hosts[_attach(rng, target.astype("datetime64[D]"), birth[hosts])]
        moving = np.isin(household, household[old_men])
        new_hh = np.full(pop.next_household, -1, dtype=np.int64)
        new_hh[household[old_men]] = household[host]
        members = np.flatnonzero(moving)
        household[members] = new_hh[household[members]]
        relationship[old_men] = "51"
        relationship[spouse[old_men]] = "52"

    # everyone else lives alone (including married people whose spouse lives elsewhere)
    alone = np.flatnonzero(household < 0)
    household[alone] = pop.new_households(alone.size)
    relationship[alone] = "02"

    # renumber households 0..H-1 in order of first member, so ids are dense
    uniq, household = np.unique(household, return_inverse=True)
    pop.next_household = uniq.size
    hh_count = uniq.size

    # places: households are placed in counties; floating households are registered elsewhere
    hh_residence = geo.draw_residence(rng, hh_count)
    floating = rng.random(hh_count) < cal.FLOATING_SHARE / 0.95
    hh_registered = hh_residence.copy()
    fl = np.flatnonzero(floating)
    hh_registered[fl] = geo.draw_origin(rng, hh_residence[fl])
    hh_nature = np.where(rng.random(hh_count) < np.where(floating, 0.25, 0.53), "1", "2")
    hh_type = np.where(rng.random(hh_count) < cal.COLLECTIVE_HUKOU_SHARE, "20", "10")
    hh_ethnicity = geo.draw_ethnicity(rng, hh_registered)

    residence = hh_residence[household]
    registered = hh_registered[household]
    ethnicity = hh_ethnicity[household]
    # some members of a floating household still live at home: children left behind are not modelled
    education = draw_education(rng, birth_year, age)

    names = draw_names(rng, sex, birth_year, ethnicity)
    kids = np.flatnonzero(father >= 0)
    han = names["s"][kids] >= 0
    names["s"][kids[han]] = names["s"][father[kids[han]]]
    dotted = names["dot"][kids]
    names["b"][kids[dotted]] = names["a"][father[kids[dotted]]]

    # the number's address code is the county as it was when the number was first issued
    id_region = geo.id_region(registered, np.maximum(birth_year, 1985))
    id_key = id_keys(id_region, birth, draw_sequences(rng, id_region, birth, sex))
    birth_order = np.zeros(n, dtype=np.int16)
    kids = np.flatnonzero(mother >= 0)
    order = kids[np.lexsort((birth[kids], mother[kids]))]
    first = np.r_[True, mother[order][1:] != mother[order][:-1]]
    run_start = np.maximum.accumulate(np.where(first, np.arange(order.size), 0))
    birth_order[order] = np.arange(order.size) - run_start + 1
    parity = np.bincount(mother[kids], minlength=n).astype(np.int16)

    pop.cols = {
        "person_id": np.arange(1, n + 1, dtype=np.int64),
        "sex": sex.astype("<U1"),
        "birth_date": birth,
        "ethnicity": ethnicity.astype("<U2"),
        "education": education.astype("<U2"),
        "marital_status": marital,
        "hukou_type": hh_type[household],
        "hukou_nature": hh_nature[household],
        "registered_division": registered,
        "residence_division": residence,
        "household_id": household.astype(np.int64),
        "relationship": relationship,
        "mother_idx": mother,
        "father_idx": father,
        "spouse_idx": spouse,
        "birth_order": birth_order,
        "parity": parity,
        "death_date": np.full(n, np.datetime64("NaT"), dtype="datetime64[D]"),
        "name_s": names["s"],
        "name_a": names["a"],
        "name_b": names["b"],
        "name_dot": names["dot"],
        "id_key": id_key,
        "arrived": np.where(
            registered != residence, np.datetime64(ref, "D") - rng.integers(30, 3650, n), np.datetime64("NaT")
        ).astype("datetime64[D]"),
        "initial": np.ones(n, dtype=bool),
    }
    return pop
