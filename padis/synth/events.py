"""Life events year by year, as array operations: births, deaths, marriages, divorces, moves, school entry."""

from __future__ import annotations

import numpy as np

from padis.synth import calibration as cal
from padis.synth.geography import Geography
from padis.synth.ids import draw_sequences, id_keys
from padis.synth.names import draw_names
from padis.synth.population import Population, ages_at

EVENT_TYPES = ("birth", "death", "marriage", "divorce", "move", "hukou_transfer", "school_entry")
NAT = np.datetime64("NaT", "D")
# Relative marriage hazard by 5-year age group 20-24 … 60-64 for the never-married and the previously married.
FIRST_MARRIAGE = np.array([0.7, 1.0, 0.55, 0.25, 0.12, 0.06, 0.03, 0.02, 0.01])
REMARRIAGE = np.array([0.3, 0.5, 0.5, 0.4, 0.3, 0.2, 0.15, 0.1, 0.05])
SOLO_MOVE_RATE = 0.02  # young adults leaving alone for work each year


class EventLog:
    """Events collected as column chunks, joined once at the end."""

    def __init__(self) -> None:
        self.chunks: list[dict[str, np.ndarray]] = []

    def add(
        self,
        kind: str,
        person: np.ndarray,
        date: np.ndarray,
        *,
        other: np.ndarray | None = None,
        src: np.ndarray | None = None,
        dst: np.ndarray | None = None,
        detail: np.ndarray | None = None,
    ) -> None:
        """Record ``len(person)`` events of one type."""
        n = len(person)
        if n == 0:
            return
        self.chunks.append(
            {
                "event_type": np.full(n, kind, dtype="<U14"),
                "person_idx": person.astype(np.int64),
                "other_idx": np.full(n, -1, dtype=np.int64) if other is None else other.astype(np.int64),
                "event_date": date.astype("datetime64[D]"),
                "from_division": np.zeros(n, dtype=np.int64) if src is None else src.astype(np.int64),
                "to_division": np.zeros(n, dtype=np.int64) if dst is None else dst.astype(np.int64),
                "detail": np.full(n, "", dtype="<U8") if detail is None else detail.astype("<U8"),
            }
        )

    def columns(self) -> dict[str, np.ndarray]:
        """All events as one set of columns, in the order they were recorded."""
        keys = [
            "event_type",
            "person_idx",
            "other_idx",
            "event_date",
            "from_division",
            "to_division",
            "detail",
        ]
        if not self.chunks:
            return {k: np.array([]) for k in keys}
        return {k: np.concatenate([c[k] for c in self.chunks]) for k in keys}


def _dates_in_year(rng: np.random.Generator, year: int, n: int, end: np.ndarray | None = None) -> np.ndarray:
    """Uniform dates in ``year`` (before ``end`` where given)."""
    start = np.datetime64(f"{year}-01-01", "D")
    days = 366 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 365
    span = np.full(n, days)
    if end is not None:
        limit = (end - start).astype(np.int64)
        span = np.where((limit > 0) & (limit < days), limit, span)
    return start + (rng.random(n) * span).astype(np.int64)


def simulate(rng: np.random.Generator, pop: Population, geo: Geography, years: range) -> EventLog:
    """Run every year of ``years`` on ``pop`` in place; return the events."""
    log = EventLog()
    for year in years:
        _year(rng, pop, geo, year, log)
    return log


def _year(rng: np.random.Generator, pop: Population, geo: Geography, year: int, log: EventLog) -> None:
    jan1 = np.datetime64(f"{year}-01-01", "D")
    alive = np.isnat(pop["death_date"])
    age = ages_at(pop["birth_date"], jan1)
    sex = pop["sex"]

    # deaths
    die = np.zeros(len(pop), dtype=bool)
    for sx in ("1", "2"):
        q = cal.mortality_hazards(sx)
        m = np.flatnonzero(alive & (sex == sx))
        die[m] = rng.random(m.size) < q[np.clip(age[m], 0, 110)]
    dead = np.flatnonzero(die)
    death_dates = _dates_in_year(rng, year, dead.size)
    pop["death_date"][dead] = death_dates
    log.add("death", dead, death_dates, dst=pop["residence_division"][dead])
    widowed = pop["spouse_idx"][dead]
    widowed = widowed[widowed >= 0]
    pop["marital_status"][widowed] = np.where(die[widowed], pop["marital_status"][widowed], 30)
    pop["spouse_idx"][widowed] = -1
    pop["spouse_idx"][dead] = -1

    # births: married women 15-49, hazard = ASFR / share married so that the TFR holds
    women = np.flatnonzero(alive & (sex == "2") & (age >= 15) & (age < 50))
    group = (age[women] - 15) // 5
    married = pop["spouse_idx"][women] >= 0
    share = np.bincount(group, weights=married, minlength=7) / np.maximum(np.bincount(group, minlength=7), 1)
    hazard = cal.ASFR[group] * cal.ASFR_SCALE / np.maximum(share[group], 0.05)
    mothers = women[married & (rng.random(women.size) < np.minimum(hazard, 0.9))]
    _births(rng, pop, year, mothers, log)

    # marriages (after births the arrays are longer)
    sex = pop["sex"]
    alive = np.isnat(pop["death_date"])
    age = ages_at(pop["birth_date"], jan1)
    _marriages(rng, pop, geo, year, alive, age, log)

    # divorces: the husband leaves and heads a new household in the same county
    sex = pop["sex"]
    husbands = np.flatnonzero(alive & (sex == "1") & (pop["spouse_idx"] >= 0))
    husbands = husbands[rng.random(husbands.size) < cal.DIVORCE_RATE_PER_COUPLE]
    husbands = husbands[np.isnat(pop["death_date"][pop["spouse_idx"][husbands]])]
    wives = pop["spouse_idx"][husbands]
    dates = _dates_in_year(rng, year, husbands.size)
    log.add("divorce", husbands, dates, other=wives, dst=pop["residence_division"][husbands])
    pop["marital_status"][husbands] = pop["marital_status"][wives] = 40
    pop["spouse_idx"][husbands] = pop["spouse_idx"][wives] = -1
    pop["household_id"][husbands] = pop.new_households(husbands.size)
    pop["relationship"][husbands] = "02"
    pop["relationship"][wives] = np.where(
        pop["relationship"][wives] == "12", "02", pop["relationship"][wives]
    )

    _moves(rng, pop, geo, year, log)
    _school(pop, year, log)


def draw_birth_sex(rng: np.random.Generator, n: int) -> np.ndarray:
    """Sexes of ``n`` newborns ('1'/'2') at the census sex ratio at birth."""
    p_male = cal.SEX_RATIO_AT_BIRTH / (100 + cal.SEX_RATIO_AT_BIRTH)
    return np.where(rng.random(n) < p_male, "1", "2")


def _births(rng: np.random.Generator, pop: Population, year: int, mothers: np.ndarray, log: EventLog) -> None:
    """Append the children of ``mothers`` (sex by the sex ratio at birth, father = husband)."""
    n = mothers.size
    if n == 0:
        return
    dates = _dates_in_year(rng, year, n, end=pop["death_date"][mothers])
    sex = draw_birth_sex(rng, n)
    fathers = pop["spouse_idx"][mothers]
    eth = pop["ethnicity"][mothers]
    names = draw_names(rng, sex, np.full(n, year), eth)
    has_father = fathers >= 0
    han = has_father & (names["s"] >= 0) & (pop["name_s"][np.maximum(fathers, 0)] >= 0)
    names["s"] = np.where(han, pop["name_s"][np.maximum(fathers, 0)], names["s"])
    dotted = has_father & names["dot"]
    names["b"] = np.where(dotted, pop["name_a"][np.maximum(fathers, 0)], names["b"])
    registered = pop["registered_division"][mothers]
    id_key = id_keys(registered, dates, draw_sequences(rng, registered, dates, sex, taken=pop["id_key"]))
    pop["parity"][mothers] += 1
    start = len(pop)
    head_child = np.isin(pop["relationship"][mothers], ["02", "12", "11"])
    rel = np.where(head_child, np.where(sex == "1", "20", "30"), np.where(sex == "1", "41", "42"))
    new = {
        "person_id": np.arange(start + 1, start + n + 1, dtype=np.int64),
        "sex": sex.astype("<U1"),
        "birth_date": dates,
        "ethnicity": eth,
        "education": np.full(n, "", dtype="<U2"),
        "marital_status": np.full(n, 10, dtype=np.int16),
        "hukou_type": pop["hukou_type"][mothers],
        "hukou_nature": pop["hukou_nature"][mothers],
        "registered_division": registered,
        "residence_division": pop["residence_division"][mothers],
        "household_id": pop["household_id"][mothers],
        "relationship": rel.astype("<U2"),
        "mother_idx": mothers.astype(np.int64),
        "father_idx": fathers.astype(np.int64),
        "spouse_idx": np.full(n, -1, dtype=np.int64),
        "birth_order": pop["parity"][mothers].astype(np.int16),
        "parity": np.zeros(n, dtype=np.int16),
        "death_date": np.full(n, NAT),
        "name_s": names["s"],
        "name_a": names["a"],
        "name_b": names["b"],
        "name_dot": names["dot"],
        "id_key": id_key,
        "arrived": np.where(registered != pop["residence_division"][mothers], dates, NAT),
        "initial": np.zeros(n, dtype=bool),
    }
    pop.append(new)
    children = np.arange(start, start + n)
    log.add("birth", children, dates, other=mothers, dst=pop["residence_division"][children])


def _marriages(
    rng: np.random.Generator,
    pop: Population,
    geo: Geography,
    year: int,
    alive: np.ndarray,
    age: np.ndarray,
    log: EventLog,
) -> None:
    """Pair single men and women by age rank; the couple forms a new household where the husband lives."""
    sex, status = pop["sex"], pop["marital_status"]
    expected = cal.MARRIAGE_RATE * alive.sum()
    picked = {}
    for sx, min_age in (("1", 22), ("2", 20)):
        cand = np.flatnonzero(alive & (sex == sx) & (age >= min_age) & (age < 65) & (status != 20))
        g = np.clip((age[cand] - 20) // 5, 0, 8)
        w = np.where(status[cand] == 10, FIRST_MARRIAGE[g], REMARRIAGE[g])
        p = np.minimum(expected * w / max(w.sum(), 1e-9), 0.9)
        picked[sx] = cand[rng.random(cand.size) < p]
    men, women = picked["1"], picked["2"]
    k = min(men.size, women.size)
    men = rng.permutation(men)[:k]
    women = rng.permutation(women)[:k]
    men = men[np.argsort(age[men] + rng.normal(0, 2, k), kind="stable")]
    women = women[np.argsort(age[women] + 2 + rng.normal(0, 2, k), kind="stable")]
    if k == 0:
        return
    dates = _dates_in_year(rng, year, k)
    kind = np.where(status[women] == 10, "1", "2")
    log.add("marriage", men, dates, other=women, dst=pop["residence_division"][men], detail=kind)
    status[men] = status[women] = 20
    pop["spouse_idx"][men], pop["spouse_idx"][women] = women, men
    hh = pop.new_households(k)
    pop["household_id"][men] = pop["household_id"][women] = hh
    pop["relationship"][men], pop["relationship"][women] = "02", "12"
    src, dst = pop["residence_division"][women], pop["residence_division"][men]
    moved = np.flatnonzero(src != dst)
    log.add(
        "move", women[moved], dates[moved], src=src[moved], dst=dst[moved], detail=np.full(moved.size, "8")
    )
    pop["residence_division"][women] = dst
    transfer = moved[rng.random(moved.size) < 0.5]
    _transfer(pop, women[transfer], dates[transfer], log)
    pop["arrived"][women[moved]] = dates[moved]


def _transfer(pop: Population, who: np.ndarray, dates: np.ndarray, log: EventLog) -> None:
    """Household registration follows the residence."""
    src = pop["registered_division"][who]
    dst = pop["residence_division"][who]
    change = src != dst
    who, dates, src, dst = who[change], dates[change], src[change], dst[change]
    log.add("hukou_transfer", who, dates, src=src, dst=dst)
    pop["registered_division"][who] = dst
    pop["arrived"][who] = NAT


def _moves(rng: np.random.Generator, pop: Population, geo: Geography, year: int, log: EventLog) -> None:
    """Whole households move within or between the chosen provinces; young adults move alone for work."""
    alive = np.flatnonzero(np.isnat(pop["death_date"]))
    hh = pop["household_id"][alive]
    uniq, first = np.unique(hh, return_index=True)
    chosen = uniq[rng.random(uniq.size) < cal.MOVE_RATE_PER_HOUSEHOLD]
    cur = pop["residence_division"][alive[first]][np.isin(uniq, chosen)]
    dest = geo.other_county(rng, cur)
    inter = rng.random(cur.size) > cal.MOVE_WITHIN_PROVINCE
    if len(geo.provinces) > 1 and inter.any():
        dest[inter] = geo.draw_residence(rng, int(inter.sum()))
    hh_dates = _dates_in_year(rng, year, chosen.size)
    member = alive[np.isin(hh, chosen)]
    mpos = np.searchsorted(chosen, pop["household_id"][member])
    src = pop["residence_division"][member]
    dst, dates = dest[mpos], hh_dates[mpos]
    age = ages_at(pop["birth_date"], np.datetime64(f"{year}-01-01", "D"))
    solo = alive[(age[alive] >= 18) & (age[alive] < 35) & (pop["spouse_idx"][alive] < 0)]
    solo = solo[rng.random(solo.size) < SOLO_MOVE_RATE]
    solo = solo[~np.isin(solo, member)]
    solo_src = pop["residence_division"][solo]
    solo_dst = geo.other_county(rng, solo_src)
    if len(geo.provinces) > 1:
        inter = rng.random(solo.size) > cal.MOVE_WITHIN_PROVINCE
        solo_dst[inter] = geo.draw_residence(rng, int(inter.sum()))
    solo_dates = _dates_in_year(rng, year, solo.size)
    pop["household_id"][solo] = pop.new_households(solo.size)
    pop["relationship"][solo] = "02"
    who = np.concatenate([member, solo])
    src = np.concatenate([src, solo_src])
    dst = np.concatenate([dst, solo_dst])
    dates = np.concatenate([dates, solo_dates])
    real = src != dst
    who, src, dst, dates = who[real], src[real], dst[real], dates[real]
    reason = np.where(np.isin(who, solo), "1", "4")
    log.add("move", who, dates, src=src, dst=dst, detail=reason)
    pop["residence_division"][who] = dst
    pop["arrived"][who] = dates
    back = pop["registered_division"][who] == dst
    pop["arrived"][who[back]] = NAT
    transfer = (~back) & (rng.random(who.size) < cal.HUKOU_TRANSFER_SHARE)
    _transfer(pop, who[transfer], dates[transfer] + 30, log)


def _school(pop: Population, year: int, log: EventLog) -> None:
    """Primary school entry at 6 and junior middle school at 12, on 1 September."""
    sept1 = np.datetime64(f"{year}-09-01", "D")
    alive = np.isnat(pop["death_date"])
    age = ages_at(pop["birth_date"], sept1)
    for stage, at, level in (("02", 6, "80"), ("03", 12, "70")):
        who = np.flatnonzero(alive & (age == at))
        log.add(
            "school_entry",
            who,
            np.full(who.size, sept1),
            dst=pop["residence_division"][who],
            detail=np.full(who.size, stage),
        )
        pop["education"][who] = level
