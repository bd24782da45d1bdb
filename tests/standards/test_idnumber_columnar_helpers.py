"""The columnar helpers other packages use instead of their own copies of the ID rules."""

from __future__ import annotations

import polars as pl

from padis.standards.idnumber import check_char, check_ids, complete_ids, normalize_ids, to_18


def test_normalize_ids_converts_15_keeps_invalid_and_matches_check_ids() -> None:
    values = [" 110105491231002 ", "11010519491231002x", "11010519491231002Y", "12", None]
    got = normalize_ids(pl.Series(values)).to_list()
    assert got == [to_18("110105491231002"), "11010519491231002X", "11010519491231002Y", "12", None]
    checked = check_ids(pl.Series(values))
    assert checked.filter(pl.col("valid"))["normalized"].to_list() == got[:2]


def test_complete_ids_equals_scalar_check_char() -> None:
    bodies = ["11010519491231002", "44030419900101123", "1234", None]
    got = complete_ids(pl.Series(bodies)).to_list()
    assert got[:2] == [b + check_char(b) for b in bodies[:2]]
    assert got[2:] == [None, None]
