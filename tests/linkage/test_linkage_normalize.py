"""Feature preparation: names, pinyin with surname readings, identity numbers, dates, divisions."""

from __future__ import annotations

import polars as pl

from padis.linkage import normalize


def _names(*values: str) -> dict[str, dict[str, str]]:
    f = normalize.name_features(pl.Series(list(values)))
    return {r["_raw"]: r for r in f.iter_rows(named=True)}


def test_surname_readings_override_common_reading() -> None:
    got = _names("单田芳", "曾国藩", "解缙", "仇英", "区志坚", "朴槿惠", "查良镛", "盖聂")
    assert got["单田芳"]["py"] == "shantianfang"
    assert got["曾国藩"]["py"] == "zengguofan"
    assert got["解缙"]["py"] == "xiejin"
    assert got["仇英"]["py"] == "qiuying"
    assert got["区志坚"]["py"].startswith("ou")
    assert got["朴槿惠"]["py"].startswith("piao")
    assert got["查良镛"]["py"].startswith("zha")
    assert got["盖聂"]["py"].startswith("ge")


def test_compound_surnames_split_and_read() -> None:
    got = _names("尉迟恭", "万俟卨", "长孙无忌", "欧阳修")
    assert (got["尉迟恭"]["surname"], got["尉迟恭"]["given"]) == ("尉迟", "恭")
    assert got["尉迟恭"]["py"] == "yuchigong"
    assert got["万俟卨"]["py"].startswith("moqi")
    assert got["长孙无忌"]["py"].startswith("zhangsun")
    assert got["欧阳修"]["swap"] == "修欧阳"


def test_traditional_folds_to_simplified_and_homophones_share_pinyin() -> None:
    got = _names("張偉", "张伟", "李友琴", "李友勤")
    assert got["張偉"]["s"] == "张伟"
    assert got["李友琴"]["py"] == got["李友勤"]["py"] == "liyouqin"
    assert got["李友琴"]["s"] != got["李友勤"]["s"]


def test_id_features_15_to_18_and_validity() -> None:
    f = normalize.id_features(
        pl.Series(
            [
                "11010519491231002X",
                "110105491231002",
                "11010519491231002Y",
                "110105194912310021",
                None,
                "12345",
            ]
        )
    )
    rows = f.rows(named=True)
    assert rows[0]["valid"] and rows[0]["id18"] == "11010519491231002X"
    assert rows[1]["id18"] == "11010519491231002X" and rows[1]["len"] == 15 and rows[1]["valid"]
    assert rows[2]["valid"] is False and rows[2]["id17"] == "11010519491231002"
    assert rows[3]["valid"] is False  # wrong check character
    assert rows[4]["id18"] is None and rows[4]["valid"] is False
    assert rows[5]["id17"] is None
    assert rows[0]["birth"] == "1949-12-31"


def test_dates_keep_swapped_fields_comparable() -> None:
    got = normalize.date_strings(pl.Series(["1990-01-02", "19900201", "1990/13/02", "1990年1月2日", None]))
    assert got.to_list()[:3] == ["1990-01-02", "1990-02-01", "1990-13-02"]
    assert got[4] is None


def test_division_hierarchy_codes() -> None:
    f = normalize.division_features(pl.Series(["110105", "bad", None]))
    assert f.row(0)[1:] == ("110100", "110000")
    assert f.row(1) == (None, None, None)


def test_id_features_use_the_standard_checks() -> None:
    from padis.standards.idnumber import complete_ids

    unknown_region = complete_ids(pl.Series(["99990019800101001"]))[0]
    f = normalize.id_features(pl.Series(["11010519491231002x", unknown_region, "110105 1949 1231 002X"]))
    assert f["id18"].to_list() == ["11010519491231002X", unknown_region, "11010519491231002X"]
    # Check character right, region code not in the table: still a linkable identifier.
    assert f["valid"].to_list() == [True, True, True]
