"""A small hand-made register snapshot whose indicators are computed by hand in the tests."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from padis.stats.snapshot import Snapshot

D = dt.date


def hand_snapshot() -> Snapshot:
    """Three counties in two prefectures of province 110000; every figure is worked out in test_indicators."""
    persons = pl.DataFrame(
        [
            (1, "2", D(1990, 6, 15), None, "20", "110101"),
            (2, "1", D(1988, 1, 1), None, "20", "110101"),
            (3, "2", D(2020, 3, 1), None, "10", "110101"),
            (4, "1", D(1940, 5, 1), D(2020, 7, 1), "20", "110101"),
            (5, "2", D(1995, 2, 1), None, "21", "110101"),
            (6, "2", D(1960, 1, 1), None, "20", "110101"),
            (7, "2", D(1985, 12, 31), None, "10", "110102"),
            (8, "1", D(2020, 10, 10), None, "10", "110102"),
            (9, "2", D(2001, 1, 1), None, "20", "110102"),
            (10, "1", D(1970, 1, 1), None, "20", "110201"),
            (11, "2", D(2000, 7, 1), None, "20", "110201"),
            (12, "2", D(2020, 12, 31), None, "10", "110201"),
            (13, "1", D(1950, 3, 3), D(2019, 12, 31), "30", "110201"),
            (14, "2", D(2021, 1, 5), None, "10", "110201"),
        ],
        schema=["person_id", "sex", "birth_date", "death_date", "marital_status", "residence_division"],
        orient="row",
    ).with_columns(registered_division=pl.col("residence_division"), hukou_type=pl.lit("1"))
    births = pl.DataFrame(
        [(3, 1, D(2020, 3, 1), "2", 1, "110101"), (8, 7, D(2020, 10, 10), "1", 2, "110102"),
         (12, 11, D(2020, 12, 31), "2", 1, "110201"), (14, 11, D(2021, 1, 5), "2", 2, "110201")],
        schema=["child_id", "mother_id", "birth_date", "sex", "birth_order", "division"], orient="row")
    deaths = pl.DataFrame([(4, D(2020, 7, 1), "110101"), (13, D(2019, 12, 31), "110201")],
                          schema=["person_id", "death_date", "division"], orient="row")
    moves = pl.DataFrame(
        [(2, D(2020, 5, 1), "110102", "110101"), (10, D(2020, 8, 1), "120101", "110201"),
         (9, D(2020, 4, 4), "110101", "110102")],
        schema=["person_id", "move_date", "from_division", "to_division"], orient="row")
    contraception = pl.DataFrame(
        [(5, "IUD", D(2019, 5, 1)), (9, "IUD", D(2018, 1, 1)), (9, "none", D(2020, 6, 1)),
         (11, "pill", D(2020, 1, 1))],
        schema=["person_id", "method", "as_of"], orient="row")
    assistance = pl.DataFrame(
        [(6, "reward", 2020, "110101"), (10, "special", 2020, "110201"), (6, "reward", 2019, "110101")],
        schema=["person_id", "kind", "year", "division"], orient="row")
    return Snapshot.build(persons=persons, births=births, deaths=deaths, moves=moves,
                          contraception=contraception, assistance=assistance)


@pytest.fixture(scope="session")
def hand() -> Snapshot:
    """The hand-made snapshot."""
    return hand_snapshot()
