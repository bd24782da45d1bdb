"""Look-ups over the GB/T 2260 history installed from python-stdnum."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from padis.errors import InputError, PadisError
from padis.settings import get_settings
from padis.standards.divisions import DivisionRegistry, build_registry, get_divisions, normalize_code
from padis.standards.divisions_source import parse_spans, read_loc_dat
from padis.standards.divisions_successors import shares_stem, stem


@pytest.fixture(scope="module")
def reg() -> DivisionRegistry:
    """The registry built straight from stdnum's file (no overlay, no cache)."""
    return build_registry(read_loc_dat())


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh PADIS_HOME with the settings and division caches cleared around the test."""
    monkeypatch.setenv("PADIS_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    get_divisions.cache_clear()
    yield tmp_path / "home"
    get_settings.cache_clear()
    get_divisions.cache_clear()


def test_daxing_county_valid_1982_to_2001_with_successor(reg: DivisionRegistry) -> None:
    d = reg.get("110224")
    assert d is not None and d.name == "大兴县"
    assert (d.start_year, d.end_year) == (1982, 2001)
    assert reg.valid_in("110224", 1982) and reg.valid_in("110224", 2001)
    assert not reg.valid_in("110224", 1981) and not reg.valid_in("110224", 2002)
    assert reg.successors("110224") == ["110115"]
    assert d.successors[0].kind == "renamed"
    assert reg.current("110224") == ["110115"]
    assert reg.name("110115") == "大兴区" and reg.get("110115").start_year == 2001  # type: ignore[union-attr]


def test_code_renamed_in_place_keeps_both_names(reg: DivisionRegistry) -> None:
    d = reg.get("120110")
    assert d is not None
    spans = [(s.name, s.start_year, s.end_year) for s in d.names]
    assert spans == [("东郊区", None, 1991), ("东丽区", 1992, None)]
    assert reg.name("120110", 1990) == "东郊区"
    assert reg.name("120110", 1992) == "东丽区"
    assert reg.name("120110") == "东丽区"
    assert d.is_current and reg.successors("120110") == [] and reg.current("120110") == ["120110"]


def test_older_code_chains_to_the_current_one(reg: DivisionRegistry) -> None:
    # 110204 大兴县 [-1982] → 110224 大兴县 [1982-2001] → 110115 大兴区.
    assert reg.successors("110204") == ["110224"]
    assert reg.current("110204") == ["110115"]


def test_levels_parents_and_containment(reg: DivisionRegistry) -> None:
    assert reg.level("110000") == "province"
    assert reg.level("130100") == "prefecture"
    assert reg.level("130102") == "county"
    assert reg.parent("110000") is None
    assert reg.parent("130102") == "130100"
    assert reg.ancestors("130102") == ["130100", "130000"]
    assert reg.ancestors("110224") == ["110200", "110000"]
    assert reg.contains("130000", "130102") and reg.contains("130100", "130102")
    assert reg.contains("130102", "130102")
    assert not reg.contains("110000", "130102")
    assert not reg.contains("130102", "130100")


def test_province_administered_county_hangs_under_its_summary_row(reg: DivisionRegistry) -> None:
    # 429004 仙桃市 sits under the province's 省直辖县级行政单位 row, not a prefecture.
    assert reg.level("429004") == "county"
    assert reg.parent("429004") == "429000"
    assert reg.contains("420000", "429004")


def test_unknown_and_malformed_codes(reg: DivisionRegistry) -> None:
    assert reg.get("999999") is None and not reg.is_known("999999")
    assert reg.get("abc") is None
    with pytest.raises(InputError, match="unknown division code 999999"):
        reg.name("999999")
    with pytest.raises(PadisError, match="six-digit"):
        reg.level("12345")
    with pytest.raises(InputError):
        reg.contains("110000", "999999")
    assert normalize_code("11") == "110000" and normalize_code(1101) == "110100"


def test_name_in_a_year_the_code_was_not_used_is_none(reg: DivisionRegistry) -> None:
    assert reg.name("110115", 1995) is None
    assert reg.name("110224", 1995) == "大兴县"


def test_lists_by_level_and_year(reg: DivisionRegistry) -> None:
    provinces = {d.code for d in reg.provinces()}
    assert {"110000", "460000", "500000", "810000"} <= provinces
    assert "460000" not in {d.code for d in reg.provinces(1985)}  # Hainan became a province in 1988
    beijing_now = {d.code for d in reg.counties("11")}
    assert "110115" in beijing_now and "110224" not in beijing_now
    assert "110100" not in beijing_now  # summary rows are not counties
    beijing_2000 = {d.code for d in reg.counties("110000", year=2000)}
    assert "110224" in beijing_2000 and "110115" not in beijing_2000
    hebei = {d.code for d in reg.prefectures("13")}
    assert "130100" in hebei and "132100" not in hebei
    assert all(d.level == "county" for d in reg.counties())
    with pytest.raises(InputError, match="not a province"):
        reg.counties("130100")


def test_validity_frame_has_the_contract_columns(reg: DivisionRegistry) -> None:
    frame = reg.validity_frame()
    assert frame.columns == ["code", "name", "start_year", "end_year"]
    assert frame.schema["start_year"] == pl.Int32 and frame.schema["code"] == pl.Utf8
    rows = frame.filter(pl.col("code") == "120110").rows()
    assert rows == [("120110", "东郊区", None, 1991), ("120110", "东丽区", 1992, None)]
    assert frame.height == sum(len(d.names) for d in reg)


def test_hierarchy_frame_for_joins(reg: DivisionRegistry) -> None:
    frame = reg.hierarchy_frame()
    assert frame.columns == ["code", "level", "prefecture_code", "province_code", "current"]
    row = frame.filter(pl.col("code") == "130102").row(0, named=True)
    assert row == {"code": "130102", "level": "county", "prefecture_code": "130100",
                   "province_code": "130000", "current": True}
    old = frame.filter(pl.col("code") == "110224").row(0, named=True)
    assert old["current"] is False and old["province_code"] == "110000"
    assert frame["code"].n_unique() == frame.height == len(reg)


def test_current_frame_maps_every_code(reg: DivisionRegistry) -> None:
    frame = reg.current_frame()
    assert ("110224", "110115") in frame.rows()
    assert ("110115", "110115") in frame.rows()


def test_search_finds_past_names(reg: DivisionRegistry) -> None:
    codes = {d.code for d in reg.search("东郊")}
    assert "120110" in codes
    assert reg.search("  ") == []


def test_every_abolished_code_has_a_successor(reg: DivisionRegistry) -> None:
    abolished = [d for d in reg if not d.is_current]
    assert abolished
    missing = [d.code for d in abolished if not d.successors]
    assert missing == []
    for d in abolished:
        assert all(reg.current(d.code)), d.code


def test_stem_rule() -> None:
    assert stem("大兴县") == "大兴" and stem("忻县地区") == "忻"
    assert shares_stem("大兴县", "大兴区")
    assert shares_stem("青龙县", "青龙满族自治县")
    assert shares_stem("通县", "通州区")
    assert not shares_stem("东郊区", "东丽区")
    assert not shares_stem("市辖区", "县")


def test_parse_spans_reads_open_and_reversed_years() -> None:
    spans = parse_spans("[-1991]东郊区,[1992-]东丽区")
    got = [(s.name, s.start_year, s.end_year) for s in spans]
    assert got == [("东郊区", None, 1991), ("东丽区", 1992, None)]
    assert [(s.start_year, s.end_year) for s in parse_spans("[1983-1982]下关市")] == [(1982, 1982)]
    assert parse_spans("北京市")[0].start_year is None


def test_get_divisions_is_cached_and_pickled(home: Path) -> None:
    home.mkdir(parents=True)
    first = get_divisions()
    assert get_divisions() is first
    assert first.source.startswith("python-stdnum")
    pickles = list((home / "divisions").glob("registry-*.pickle"))
    assert len(pickles) == 1
    get_divisions.cache_clear()
    again = get_divisions()
    assert again is not first and again.get("110224") == first.get("110224")


def test_get_divisions_writes_nothing_without_a_home(home: Path) -> None:
    assert get_divisions().is_known("110115")
    assert not home.exists()


@pytest.mark.parametrize(
    ("code", "successors", "kind", "current"),
    [
        ("510227", ["500223"], "renamed", ["500152"]),  # 潼南县: Sichuan → Chongqing 1997, then a district
        ("132824", ["131002"], "same_stem", ["131002"]),  # 安次县 → 安次区 after years as 廊坊市
        ("120107", ["120116"], "new_in_parent", ["120116"]),  # 塘沽区 merged into 滨海新区
        ("142201", ["140902"], "new_in_parent", ["140902"]),  # 忻州市 (county-level) → 忻府区
        ("142100", ["140200", "140600"], "children", ["140200", "140600"]),  # 雁北地区 split
        ("110103", ["110100"], "parent", ["110100"]),  # 崇文区 merged into 东城区: names cannot tell
    ],
)
def test_successor_rules_on_known_cases(
    reg: DivisionRegistry, code: str, successors: list[str], kind: str, current: list[str]
) -> None:
    division = reg.get(code)
    assert division is not None and not division.is_current
    assert [s.code for s in division.successors] == successors
    assert {s.kind for s in division.successors} == {kind}
    assert reg.current(code) == current


def test_successor_frame_lists_every_link(reg: DivisionRegistry) -> None:
    frame = reg.successor_frame()
    assert frame.columns == ["code", "successor", "kind"]
    assert ("110224", "110115", "renamed") in frame.rows()
    assert set(frame["kind"].unique()) <= {"renamed", "same_stem", "new_in_parent", "children", "parent"}
