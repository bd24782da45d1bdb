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
