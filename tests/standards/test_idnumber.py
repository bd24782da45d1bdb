"""GB 11643 identity numbers: check characters, parsing, 15 → 18, warnings, scalar = columnar."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from padis.standards.idnumber import (
    ERRORS,
    WARNINGS,
    IdCheck,
    check_char,
    check_id,
    check_ids,
    make_id,
    mask_id,
    summarize,
    to_18,
)
from padis.standards.idnumber_regions import get_region_lookup
from padis.standards.idnumber_samples import CORRUPTIONS, mixed_ids, valid_ids

TODAY = dt.date(2026, 6, 1)
LOOKUP = get_region_lookup()
# Codes in use over the whole range the tests draw birth years from, and a few with history.
STABLE = sorted(c for c, (first, last) in LOOKUP.bounds.items() if first <= 1900 and last >= 2100)

codes = st.sampled_from(STABLE)
births = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)
sequences = st.integers(min_value=0, max_value=999)


def with_check(body: str) -> str:
    return body + check_char(body)


def row_of(frame: pl.DataFrame, i: int = 0) -> dict[str, object]:
    return frame.row(i, named=True)


def test_check_char_matches_the_standard_examples() -> None:
    # GB 11643-1999 appendix example and a widely published X example.
    assert check_char("11010519491231002") == "X"
    assert check_char("44052418800101001") == "4"
    with pytest.raises(ValueError):
        check_char("1234")


@settings(deadline=None)
@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_check_char_agrees_with_stdnum(body: str) -> None:
    assert check_char(body) == ric.calc_check_digit(body + "0")


@settings(deadline=None)
@given(codes, births, sequences)
def test_generate_validate_parse_round_trip(code: str, birth: dt.date, seq: int) -> None:
    number = make_id(code, birth, seq)
    result = check_id(number, today=TODAY)
    assert result.valid and result.error is None and result.warning is None
    assert (result.normalized, result.region_code, result.birth_date) == (number, code, birth)
    assert result.sex == ("1" if seq % 2 else "2")
    assert ric.is_valid(number)


@settings(deadline=None)
@given(codes, st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(1999, 12, 31)), sequences)
def test_15_to_18_conversion(code: str, birth: dt.date, seq: int) -> None:
    old = f"{code}{birth:%y%m%d}{seq:03d}"
    new = to_18(old)
    assert new == make_id(code, birth, seq)
    result = check_id(old, today=TODAY)
    assert result.valid and result.normalized == new and result.birth_date == birth
    assert result.sex == ("1" if seq % 2 else "2")
    assert check_id(new, today=TODAY).as_dict() | {"input": old} == result.as_dict()


@settings(deadline=None)
@given(
    codes, births, sequences, st.integers(min_value=0, max_value=17), st.integers(min_value=1, max_value=9)
)
def test_any_single_digit_change_is_caught(code: str, birth: dt.date, seq: int, pos: int, delta: int) -> None:
    number = make_id(code, birth, seq)
    digit = "0123456789X".index(number[pos])
    alphabet = "0123456789X" if pos == 17 else "0123456789"
    changed = number[:pos] + alphabet[(digit + delta) % len(alphabet)] + number[pos + 1 :]
    assert not check_id(changed, today=TODAY).valid


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (None, "empty"),
        ("", "empty"),
        ("\u3000 ", "empty"),
        ("11010519491231002", "bad_length"),
        ("1101051949123100233", "bad_length"),
        ("11010519491231002A", "bad_chars"),
        ("１10105194912310020", "bad_chars"),
        ("11010519491231002Y", "bad_chars"),
        ("11010519491231003X", "bad_checksum"),
        (with_check("11010519490230002"), "bad_birth_date"),
        ("110105490230002", "bad_birth_date"),
        (with_check("11010517991231002"), "bad_birth_date"),
        (make_id("110105", dt.date(2030, 1, 1), 1), "future_birth_date"),
        (make_id("999999", dt.date(1990, 1, 1), 1), "unknown_region"),
        (make_id("119999", dt.date(1990, 1, 1), 1), "unknown_region"),
    ],
)
def test_errors(value: str | None, error: str) -> None:
    assert error in ERRORS
    result = check_id(value, today=TODAY)
    assert (result.valid, result.error) == (False, error)
    assert (result.normalized, result.region_code, result.birth_date, result.sex) == (None,) * 4
    assert row_of(check_ids([value], today=TODAY)) == result.as_dict()


def test_lowercase_x_and_padding_are_normalized() -> None:
    result = check_id(" 11010519491231002x\u3000", today=TODAY)
    assert result.valid and result.normalized == "11010519491231002X"
    assert result.input == " 11010519491231002x\u3000"


def test_future_check_uses_today() -> None:
    number = make_id("110105", dt.date(2026, 6, 2), 1)
    assert check_id(number, today=TODAY).error == "future_birth_date"
    assert check_id(number, today=dt.date(2026, 6, 2)).valid
    assert check_ids([number], today=dt.date(2026, 6, 2))["valid"].item()


def test_region_assigned_after_birth_is_a_warning_not_an_error() -> None:
    # 110114 (Changping district) exists from 1999 on; someone born in 1980 may hold it.
    first, _ = LOOKUP.bounds["110114"]
    number = make_id("110114", dt.date(first - 19, 5, 1), 11)
    result = check_id(number, today=TODAY)
    assert result.valid and result.warning == "region_not_yet_valid"
    assert not ric.is_valid(number)  # python-stdnum rejects it: the documented difference
    assert check_id(make_id("110114", dt.date(first, 5, 1), 11), today=TODAY).warning is None


def test_region_abolished_before_birth_is_a_distinct_warning() -> None:
    _, last = LOOKUP.bounds["110103"]  # Chongwen district, merged in 2010
    result = check_id(make_id("110103", dt.date(last + 3, 1, 1), 2), today=TODAY)
    assert result.valid and result.warning == "region_abolished_before_birth"
    assert check_id(make_id("110103", dt.date(last, 1, 1), 2), today=TODAY).warning is None


def test_birth_year_in_a_gap_between_two_uses_of_a_code() -> None:
    gap_key = min(LOOKUP.gap_keys)
    code, year = f"{gap_key // 10_000:06d}", gap_key % 10_000
    result = check_id(make_id(code, dt.date(year, 3, 3), 5), today=TODAY)
    assert result.valid and result.warning == "region_not_yet_valid"


def test_mask_id() -> None:
    assert mask_id("11010519491231002X") == "110105********002X"
    assert mask_id("110105491231002") == "110105*****1002"
    assert mask_id("12345") == "*****"
    assert mask_id(None) == ""


def test_check_ids_accepts_arrow_polars_and_lists_in_order() -> None:
    values = ["11010519491231002X", None, "bad", "110105491231002"]
    expected = [check_id(v, today=TODAY).as_dict() for v in values]
    for given_values in (
        values,
        pl.Series(values),
        pa.array(values),
        pa.chunked_array([values[:2], values[2:]]),
    ):
        frame = check_ids(given_values, today=TODAY)
        assert frame.columns == list(IdCheck.__dataclass_fields__)
        assert frame.to_dicts() == expected


def test_check_ids_on_integer_column() -> None:
    frame = check_ids(pl.Series([110105194912310026, 110105491231002]), today=TODAY)
    assert frame["valid"].to_list() == [False, True]  # the first has a wrong check digit


def test_check_ids_empty_input() -> None:
    frame = check_ids(pl.Series([], dtype=pl.String), today=TODAY)
    assert frame.height == 0 and frame.columns == list(IdCheck.__dataclass_fields__)


def test_summarize_counts_each_code() -> None:
    frame = check_ids(["11010519491231002X", "", "x", make_id("110114", dt.date(1980, 1, 1), 1)], today=TODAY)
    counts = summarize(frame)
    assert counts == {
        "rows": 4,
        "valid": 2,
        "invalid": 2,
        "empty": 1,
        "bad_length": 1,
        "region_not_yet_valid": 1,
    }
    assert set(counts) - {"rows", "valid", "invalid"} <= set(ERRORS) | set(WARNINGS)


near_ids = st.one_of(
    st.text(alphabet="0123456789Xx \u3000１", min_size=0, max_size=20),
    st.builds(
        lambda v, pos, ch: v[:pos] + ch + v[pos + 1 :],
        st.builds(make_id, st.sampled_from(sorted(LOOKUP.bounds)), births, sequences),
        st.integers(0, 17),
        st.sampled_from("0123456789Xx"),
    ),
    st.builds(
        lambda v: v[:6] + v[8:17],
        st.builds(make_id, st.sampled_from(sorted(LOOKUP.bounds)), births, sequences),
    ),
    st.none(),
    st.text(max_size=20),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(near_ids, max_size=30))
def test_scalar_and_columnar_give_identical_answers(values: list[str | None]) -> None:
    frame = check_ids(values, today=TODAY)
    assert frame.height == len(values)
    assert frame.to_dicts() == [check_id(v, today=TODAY).as_dict() for v in values]


def test_scalar_and_columnar_agree_on_a_mixed_sample() -> None:
    values = mixed_ids(20_000, seed=5)
    frame = check_ids(values, today=TODAY)
    assert frame.to_dicts() == [check_id(v, today=TODAY).as_dict() for v in values]
    assert set(frame["error"].drop_nulls().unique()) == set(ERRORS)  # every rule is exercised
    assert set(frame["warning"].drop_nulls().unique()) == set(WARNINGS)


def test_samples_are_deterministic_and_valid() -> None:
    assert valid_ids(50, seed=3).to_list() == valid_ids(50, seed=3).to_list()
    assert check_ids(valid_ids(2_000, seed=3), today=TODAY)["valid"].all()
    assert mixed_ids(100, seed=1) == mixed_ids(100, seed=1)
    assert len(CORRUPTIONS) == len(set(CORRUPTIONS))
