"""Each indicator on a small hand-computed register (see conftest.hand_snapshot for the people)."""

from __future__ import annotations

import polars as pl
import pytest

from padis.errors import ConfigError, InputError
from padis.stats.indicators import IndicatorEngine, compute_indicators, load_definitions, tfr_from_asfr
from padis.stats.periods import parse_period, parse_periods


def value(frame: pl.DataFrame, indicator: str, area: str, period: str = "2020", sex: str = "_T",
          age: str = "_T") -> float | None:
    row = frame.filter((pl.col("indicator") == indicator) & (pl.col("ref_area") == area)
                       & (pl.col("period") == period) & (pl.col("sex") == sex) & (pl.col("age") == age))
    assert row.height <= 1
    return row.get_column("value")[0] if row.height else None


@pytest.fixture(scope="module")
def county(hand):
    return compute_indicators(hand, "2020", level="county")


def test_population_counts(county):
    assert value(county, "POP", "110101") == 5
    assert value(county, "POP", "110102") == 3
    assert value(county, "POP", "110201") == 3
    assert value(county, "POP_AVG", "110102") == 2.5
    assert value(county, "POP_REG", "110101") == 5
    assert value(county, "SCHOOL_AGE", "110101") == 0   # nobody aged 6-14


def test_population_by_age_and_sex(county):
    assert value(county, "POP_AGE_SEX", "110101", sex="2", age="30-34") == 1
    assert value(county, "POP_AGE_SEX", "110101", sex="1", age="30-34") == 1   # person 2, 32
    assert value(county, "POP_AGE_SEX", "110101", sex="2", age="0-4") == 1
    total = county.filter((pl.col("indicator") == "POP_AGE_SEX") & (pl.col("ref_area") == "110201"))
    assert total.get_column("value").sum() == 3


def test_births_deaths_and_crude_rates(county):
    assert value(county, "BIRTHS", "110101") == 1
    assert value(county, "DEATHS", "110101") == 1
    assert value(county, "CBR", "110101") == pytest.approx(200.0)
    assert value(county, "CDR", "110101") == pytest.approx(200.0)
    assert value(county, "NGR", "110101") == pytest.approx(0.0)
    assert value(county, "CBR", "110102") == pytest.approx(400.0)
    assert value(county, "NGR", "110201") == pytest.approx(400.0)


def test_sex_ratio_at_birth(county, hand):
    assert value(county, "SRB", "110101") == 0.0
    assert value(county, "SRB", "110102") is None  # no girls born: undefined, not infinite
    pref = compute_indicators(hand, "2020", level="prefecture")
    assert value(pref, "SRB", "110100") == pytest.approx(100.0)
    prov = compute_indicators(hand, "2020", level="province")
    assert value(prov, "SRB", "110000") == pytest.approx(50.0)


def test_fertility(county):
    assert value(county, "GFR", "110101") == pytest.approx(500.0)
    assert value(county, "GFR", "110201") == pytest.approx(1000.0)
    assert value(county, "ASFR", "110101", age="25-29") == pytest.approx(1000.0)
    assert value(county, "ASFR", "110101", age="20-24") == pytest.approx(0.0)
    assert value(county, "ASFR", "110102", age="30-34") == pytest.approx(2000.0)
    assert value(county, "TFR", "110101") == pytest.approx(5.0)
    assert value(county, "TFR", "110201") == pytest.approx(10.0)


def test_birth_order_shares(county, hand):
    assert value(county, "BIRTH_ORDER_1", "110101") == pytest.approx(100.0)
    assert value(county, "BIRTH_ORDER_2", "110102") == pytest.approx(100.0)
    prov = compute_indicators(hand, "2020", level="province")
    assert value(prov, "BIRTH_ORDER_1", "110000") == pytest.approx(200 / 3)
    assert value(prov, "BIRTH_ORDER_3P", "110000") == pytest.approx(0.0)


def test_women_and_contraception(county):
    assert value(county, "WOMEN_15_49", "110101") == 2
    assert value(county, "MARRIED_WOMEN_15_49", "110101") == 2
    assert value(county, "MARRIED_WOMEN_15_49", "110102") == 1
    assert value(county, "CPR", "110101") == pytest.approx(50.0)
    assert value(county, "CPR", "110102") == pytest.approx(0.0)  # latest record says no method
    assert value(county, "CPR", "110201") == pytest.approx(100.0)


def test_floating_population_depends_on_level(county, hand):
    assert value(county, "FLOAT_IN", "110101") == 1
    assert value(county, "FLOAT_OUT", "110101") == 1
    assert value(county, "FLOAT_IN", "110201") == 1
    pref = compute_indicators(hand, "2020", level="prefecture")
    assert value(pref, "FLOAT_IN", "110100") in (None, 0)  # moves inside the prefecture are not floating
    assert value(pref, "FLOAT_IN", "110200") == 1


def test_assistance_counts(county):
    assert value(county, "REWARD", "110101") == 1
    assert value(county, "SPECIAL", "110201") == 1


def test_province_rates(hand):
    prov = compute_indicators(hand, "2020", level="province")
    assert value(prov, "POP_AVG", "110000") == pytest.approx(10.0)
    assert value(prov, "CBR", "110000") == pytest.approx(300.0)
    assert value(prov, "CDR", "110000") == pytest.approx(100.0)
    assert value(prov, "NGR", "110000") == pytest.approx(200.0)


def test_report_year_and_half_year(hand):
    res = compute_indicators(hand, "2020R,2020H", level="province", indicators=["BIRTHS", "DEATHS"])
    assert value(res, "BIRTHS", "110000", "2020R") == 1
    assert value(res, "DEATHS", "110000", "2020R") == 2
    assert value(res, "BIRTHS", "110000", "2020H") == 1
    assert value(res, "DEATHS", "110000", "2020H") == 1


def test_division_filter(hand):
    eng = IndicatorEngine(hand)
    res = eng.compute("2020", level="county", division="110100", indicators=["POP"])
    assert sorted(res.get_column("ref_area").to_list()) == ["110101", "110102"]
    with pytest.raises(InputError):
        eng.compute("2020", level="province", division="110101")


def test_tfr_five_year_rule():
    asfr = [10.0, 60.0, 100.0, 60.0, 20.0, 8.0, 2.0]   # per 1,000 women, ages 15-19 .. 45-49
    assert tfr_from_asfr(asfr) == pytest.approx(5 * 260 / 1000)
    assert tfr_from_asfr([50.0] * 35, width=1) == pytest.approx(1.75)


def test_periods():
    assert str(parse_period("2020R").start) == "2019-10-01"
    assert str(parse_period("2020R").end) == "2020-09-30"
    assert str(parse_period("2020H").end) == "2020-03-31"
    assert [p.code for p in parse_periods("2018-2020")] == ["2018", "2019", "2020"]
    with pytest.raises(InputError):
        parse_period("2020Q")


def test_bad_definitions(tmp_path):
    bad = tmp_path / "defs.yaml"
    bad.write_text("measures: {}\nindicators:\n  - {code: X, numerator: nothing}\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        load_definitions(bad)


def _brute_women(snap, on) -> dict[str, int]:
    """Women aged 15–49 alive at ``on`` by residence, counted person by person (reference for the engine)."""
    p = snap.persons
    b = p["birth_date"]
    later = (b.dt.month().cast(pl.Int32) * 100 + b.dt.day().cast(pl.Int32)) > on.month * 100 + on.day
    age = on.year - b.dt.year() - later.cast(pl.Int32)
    alive = (p["birth_date"] <= on) & (p["death_date"].is_null() | (p["death_date"] > on)).fill_null(True)
    keep = p.filter(alive & (p["sex"] == "2") & age.is_between(15, 49))
    return dict(keep.group_by("residence_division").len().iter_rows())


def test_population_at_dates_inside_the_year():
    # report years end on 30 September, half-years on 31 March: ages turn on birthdays inside the year, so
    # 4,000 random persons (births 1965–2021, some deaths) are checked against a person-by-person count
    import numpy as np

    from padis.stats.snapshot import Snapshot

    rng = np.random.default_rng(7)
    n = 4000
    birth = rng.integers(-1800, 18800, n).astype("datetime64[D]")
    death = rng.integers(16000, 18800, n).astype("datetime64[D]")
    persons = pl.DataFrame({
        "person_id": np.arange(1, n + 1), "sex": rng.choice(["1", "2"], n), "birth_date": birth,
        "death_date": death, "marital_status": "20",
        "registered_division": rng.choice(["110101", "110102"], n),
    }).with_columns(
        pl.when(pl.Series(rng.random(n) < 0.1)).then(pl.col("death_date")).otherwise(None)
        .alias("death_date"),
        pl.col("registered_division").alias("residence_division"))
    snap = Snapshot.build(persons=persons)
    res = compute_indicators(snap, "2020R,2020H,2019R", level="county", indicators=["WOMEN_15_49"])
    for code in ("2020R", "2020H", "2019R"):
        want = _brute_women(snap, parse_period(code).end)
        assert len(want) == 2
        for area, count in want.items():
            assert value(res, "WOMEN_15_49", area, code) == count


def test_many_periods_match_single_period(hand):
    # 32 distinct dates: the contraception flags spill into a second bit-mask column
    many = compute_indicators(hand, "1990-2020", level="county")
    one = compute_indicators(hand, "2020", level="county")
    keys = ["indicator", "ref_area", "period", "sex", "age"]
    got = many.filter(pl.col("period") == "2020").sort(keys).select(*keys, "value")
    want = one.sort(keys).select(*keys, "value")
    assert got.equals(want)
    assert value(many, "CPR", "110201", "2020") == pytest.approx(100.0)
