"""Cohort-component projection: one step against hand arithmetic, scenario ordering, the CLI parser."""

from __future__ import annotations

import numpy as np
import pytest

from padis.errors import InputError
from padis.stats.projection import (
    AGES,
    Assumptions,
    base_population,
    model_mortality,
    parse_scenarios,
    project,
    project_snapshot,
    step,
)


def flat_assumptions(tfr_at_30: float = 0.5) -> Assumptions:
    fert = np.zeros(35)
    fert[30 - 15] = tfr_at_30
    return Assumptions(fertility=fert, mortality=np.full((AGES, 2), 0.01), srb=1.0)


def test_one_step_equals_hand_computation():
    base = np.full((1, AGES, 2), 100.0)
    nxt = step(base, flat_assumptions())
    survivors = 20_200 * 0.99                 # every one of 101 ages × 2 sexes × 100 survives with 0.99
    women_30 = 0.5 * (100 + 100 * 0.99)      # women aged 30 at the start and at the end of the year
    births = 0.5 * women_30                   # f(30) = 0.5
    newborns = births * (1 - 0.005)           # half a year's exposure to q0 = 0.01
    assert nxt.sum() == pytest.approx(survivors + newborns)
    assert nxt[0, 0, 0] == pytest.approx(newborns / 2)   # srb 1.0: half boys
    assert nxt[0, 100, 1] == pytest.approx(2 * 100 * 0.99)  # open group: 99-year-olds and 100+ survive
    assert nxt[0, 31, 1] == pytest.approx(99.0)


def test_zero_migration_constant_rates_many_counties_match_single():
    rng = np.random.default_rng(1)
    base = rng.integers(0, 500, size=(4, AGES, 2)).astype(float)
    a = flat_assumptions(1.2)
    together = project(base, 10, a)
    separately = np.stack([project(base[i:i + 1], 10, a)[:, 0] for i in range(4)], axis=1)
    np.testing.assert_allclose(together, separately)
    # without births or deaths the population only ages
    still = Assumptions(fertility=np.zeros(35), mortality=np.zeros((AGES, 2)))
    aged = project(base, 3, still)
    assert aged[3].sum() == pytest.approx(base.sum())
    np.testing.assert_allclose(aged[3][:, 3:100], base[:, 0:97])


def test_migration_is_added():
    base = np.full((1, AGES, 2), 10.0)
    a = flat_assumptions(0.0)
    a.migration = np.zeros((1, AGES, 2))
    a.migration[0, 20, 0] = 7
    assert step(base, a).sum() == pytest.approx(step(base, flat_assumptions(0.0)).sum() + 7)


def test_scenario_ordering(hand):
    result = project_snapshot(hand, 2020, 30, {"low": 1.0, "mid": 1.3, "high": 1.6})
    totals = result.totals(level="province")
    last = totals.filter(totals["year"] == 2050)
    final = dict(zip(last.get_column("scenario"), last.get_column("population"), strict=True))
    assert final["low"] < final["mid"] < final["high"]
    start = totals.filter(totals["year"] == 2020)
    assert set(start.get_column("population").round(6).to_list()) == {11.0}   # 11 alive at end of 2020
    pyramid = result.pyramid("mid", 0)
    assert pyramid.get_column("male").sum() + pyramid.get_column("female").sum() == pytest.approx(11)


def test_base_population_counts(hand):
    import datetime as dt

    counties, arr = base_population(hand, dt.date(2020, 12, 31))
    assert counties == ["110101", "110102", "110201"]
    assert arr.sum(axis=(1, 2)).tolist() == [5, 3, 3]
    assert arr[0, 30, 1] == 1   # person 1, woman aged 30


def test_model_mortality_is_sane():
    q = model_mortality()
    assert q.shape == (AGES, 2)
    assert (q > 0).all() and (q <= 1).all()
    assert q[80, 0] > q[40, 0] > q[10, 0]


def test_parse_scenarios():
    assert parse_scenarios("tfr=1.0,1.3,1.6") == {"TFR 1": 1.0, "TFR 1.3": 1.3, "TFR 1.6": 1.6}
    with pytest.raises(InputError):
        parse_scenarios("tfr=a,b")


def test_an_empty_register_is_a_clear_error_not_a_crash() -> None:
    from padis.stats.snapshot import Snapshot

    with pytest.raises(InputError, match="no population alive"):
        project_snapshot(Snapshot.build(), 2024, 10)
