"""The generated population reproduces the 2020 census targets within stated tolerances."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from padis.synth import calibration as cal
from padis.synth.events import draw_birth_sex
from padis.synth.geography import Geography
from padis.synth.population import Population, ages_at, build_population

REF = np.datetime64("2021-01-01")


@pytest.fixture(scope="module")
def base() -> Population:
    """200,000 persons in Beijing and Hebei on 2021-01-01."""
    geo = Geography.load(["11", "13"], seed=5)
    return build_population(np.random.default_rng(5), 200_000, geo, REF)


def test_age_structure_within_1_5_points(base: Population) -> None:
    age = ages_at(base["birth_date"], REF)
    shares = {
        "0-14": (age < 15).mean() * 100,
        "15-59": ((age >= 15) & (age < 60)).mean() * 100,
        "60+": (age >= 60).mean() * 100,
        "65+": (age >= 65).mean() * 100,
    }
    targets = {
        "0-14": cal.SHARE_0_14,
        "15-59": cal.SHARE_15_59,
        "60+": cal.SHARE_60_PLUS,
        "65+": cal.SHARE_65_PLUS,
    }
    for key, target in targets.items():
        assert abs(shares[key] - target) <= 1.5, (key, shares[key], target)


def test_sex_ratio_104_8_within_2(base: Population) -> None:
    ratio = (base["sex"] == "1").sum() / (base["sex"] == "2").sum() * 100
    assert abs(ratio - cal.SEX_RATIO) <= 2


def test_sex_ratio_at_birth_on_200k_draws() -> None:
    sex = draw_birth_sex(np.random.default_rng(3), 200_000)
    ratio = (sex == "1").sum() / (sex == "2").sum() * 100
    assert abs(ratio - 111.3) <= 2


def test_mean_household_size_2_62_within_0_15(base: Population) -> None:
    size = len(base) / np.unique(base["household_id"]).size
    assert abs(size - cal.HOUSEHOLD_SIZE) <= 0.15, size


def test_couples_are_opposite_sex_and_married(base: Population) -> None:
    spouse = base["spouse_idx"]
    married = np.flatnonzero(spouse >= 0)
    assert married.size > 0.4 * len(base)
    assert (base["sex"][married] != base["sex"][spouse[married]]).all()
    assert (spouse[spouse[married]] == married).all()
    assert (base["marital_status"][married] == 20).all()


def test_mothers_age_at_birth_fits_the_fertility_schedule(base: Population) -> None:
    kids = np.flatnonzero(base["mother_idx"] >= 0)
    gap = (base["birth_date"][kids] - base["birth_date"][base["mother_idx"][kids]]).astype(int) / 365.25
    assert gap.min() >= 15 and gap.max() < 50
    assert 26 <= np.median(gap) <= 31


def test_marital_status_by_age_and_sex(base: Population) -> None:
    age = ages_at(base["birth_date"], REF)
    for sex, lo, hi, code, target in [
        ("1", 25, 30, 10, 62),
        ("2", 25, 30, 10, 41),
        ("2", 80, 85, 30, 52),
        ("1", 40, 45, 20, 89),
    ]:
        m = (base["sex"] == sex) & (age >= lo) & (age < hi)
        share = (base["marital_status"][m] == code).mean() * 100
        # married men can exceed the table a little: couples are matched before dependants attach
        assert abs(share - target) <= 5, (sex, lo, code, share, target)


def test_education_by_cohort(base: Population) -> None:
    year = base["birth_date"].astype("datetime64[Y]").astype(int) + 1970
    young = (year >= 1991) & (year <= 1995)
    college = np.isin(base["education"][young], ["10", "20", "30"]).mean() * 100
    old = year <= 1940
    none_or_primary = np.isin(base["education"][old], ["90", "80"]).mean() * 100
    assert 40 <= college <= 55
    assert 65 <= none_or_primary <= 85


def test_ethnic_composition_of_xinjiang() -> None:
    geo = Geography.load(["65"], seed=2)
    pop = build_population(np.random.default_rng(2), 40_000, geo, REF)
    local = (pop["registered_division"] // 10000) == 65
    uyghur = (pop["ethnicity"][local] == "05").mean() * 100
    assert abs(uyghur - cal.ETHNICITY_BY_PROVINCE["65"]["05"]) <= 3
    dotted = pop["name_dot"][local & (pop["ethnicity"] == "05")]
    assert dotted.all()


def test_floating_population_share(base: Population) -> None:
    share = (base["registered_division"] != base["residence_division"]).mean()
    assert abs(share - cal.FLOATING_SHARE) <= 0.04


def test_tfr_1_3_from_generated_events(synth_dir: Path) -> None:
    persons = pl.read_parquet(synth_dir / "truth" / "persons.parquet")
    events = pl.read_parquet(synth_dir / "truth" / "events.parquet")
    births = events.filter(pl.col("event_type") == "birth")
    tfrs = []
    for year in (2021, 2022, 2023):
        jan1 = pl.date(year, 1, 1)
        women = persons.filter(
            (pl.col("sex") == "2")
            & (pl.col("birth_date") < jan1)
            & (pl.col("death_date").is_null() | (pl.col("death_date") >= jan1))
        ).with_columns(age=((jan1 - pl.col("birth_date")).dt.total_days() / 365.2425).floor().cast(pl.Int32))
        women = women.filter((pl.col("age") >= 15) & (pl.col("age") < 50))
        mothers = births.filter(pl.col("event_date").dt.year() == year).join(
            women.select(other_person_id="person_id", age="age"), on="other_person_id"
        )
        exposure = women.group_by(group=pl.col("age") // 5).len()
        count = mothers.group_by(group=pl.col("age") // 5).len().rename({"len": "births"})
        rates = exposure.join(count, on="group", how="left").fill_null(0)
        tfrs.append(5 * (rates["births"] / rates["len"]).sum())
    assert abs(np.mean(tfrs) - cal.TFR) <= 0.1, tfrs


def test_crude_death_rate_near_census(synth_dir: Path) -> None:
    events = pl.read_parquet(synth_dir / "truth" / "events.parquet")
    persons = pl.read_parquet(synth_dir / "truth" / "persons.parquet")
    deaths = events.filter(pl.col("event_type") == "death").height / 3
    rate = deaths / persons.height * 1000
    assert 5.5 <= rate <= 9.5, rate  # China 2020: 7.07 per 1000


def test_life_expectancy_of_the_mortality_schedule() -> None:
    for sex, target in cal.LIFE_EXPECTANCY.items():
        q = cal.mortality_hazards(sex)
        alive = np.concatenate([[1.0], np.cumprod(1 - q)])
        e0 = (alive[:-1] + alive[1:]).sum() / 2
        assert abs(e0 - target) < 0.2


def test_household_registration_type(base: Population) -> None:
    non_agricultural = (base["hukou_nature"] == "1").mean()
    assert abs(non_agricultural - cal.NON_AGRICULTURAL_HUKOU_SHARE) <= 0.04
    collective = (base["hukou_type"] == "20").mean()
    assert abs(collective - cal.COLLECTIVE_HUKOU_SHARE) <= 0.02


def test_given_names_follow_sex_and_birth_cohort(base: Population) -> None:
    from padis.synth.names import compose

    names = compose(base["name_s"], base["name_a"], base["name_b"], base["name_dot"])
    year = base["birth_date"].astype("datetime64[Y]").astype(int) + 1970
    frame = names.with_columns(
        year=pl.Series(year), sex=pl.Series(base["sex"].astype(object), dtype=pl.String)
    )
    han = frame.filter(pl.col("surname").is_not_null())
    old_women = han.filter((pl.col("sex") == "2") & (pl.col("year") < 1960))
    young_women = han.filter((pl.col("sex") == "2") & (pl.col("year") >= 2000))
    assert (old_women["given_name"] == "秀英").mean() > 0.005
    assert (young_women["given_name"] == "秀英").sum() == 0
    assert young_women["given_name"].is_in(["子涵", "梓萱", "欣怡", "梓涵"]).mean() > 0.01

    def single(lo: int, hi: int) -> float:
        part = han.filter((pl.col("year") >= lo) & (pl.col("year") < hi))
        return (part["given_name"].str.len_chars() == 1).mean()

    assert single(1970, 1990) > single(2005, 2021) + 0.1
    top = han["surname"].value_counts(sort=True)["surname"].head(5).to_list()
    assert set(top[:3]) <= {"王", "李", "张", "刘"}
