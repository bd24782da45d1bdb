"""Each comparison on hand-made hard cases: which level a pair reaches."""

from __future__ import annotations

import polars as pl
import pytest

from padis.linkage.model import LinkModel, compare_levels
from padis.linkage.settings import person_settings

BASE = {
    "id_number": "11010519491231002X",
    "name": "王小明",
    "sex": "1",
    "birth_date": "1949-12-31",
    "division": "110105",
    "address": "北京市朝阳区建国路1号",
}


def _cases(
    pairs: list[tuple[dict[str, str | None], dict[str, str | None]]],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    left = [{**BASE, **a, "record_id": str(i)} for i, (a, _) in enumerate(pairs)]
    right = [{**BASE, **b, "record_id": str(i)} for i, (_, b) in enumerate(pairs)]
    return pl.DataFrame(left), pl.DataFrame(right)


def level_table(pairs, engine: str = "duckdb") -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """Short level label of every comparison for each pair."""
    left, right = _cases(pairs)
    out = compare_levels(left, right, person_settings(source_column=None), engine=engine)
    return {
        c: [label.split(" ")[0] for label in out[c].to_list()]
        for c in out.columns
        if c != "row" and c != "match_probability"
    }


def levels(pairs, column: str, engine: str = "duckdb") -> list[str]:  # type: ignore[no-untyped-def]
    """Short level label of ``column`` for each pair."""
    return level_table(pairs, engine)[column]


ID_CASES = [
    ({}, {}),
    ({"id_number": "110105491231002"}, {}),  # 15-digit form of the same number
    ({}, {"id_number": "110105194912310021"}),  # check character only
    ({}, {"id_number": "11010519491231007X"}),  # one digit different
    ({}, {"id_number": "11010519419231002X"}),  # adjacent transposition
    ({}, {"id_number": "32058219800101123X"}),  # different number
    ({"id_number": None}, {}),
]
ID_EXPECTED = ["完全一致", "15/18", "仅校验码不同", "一位不同", "相邻换位", "不同", "缺失"]

NAME_CASES = [
    ({}, {}),
    ({"name": "陳國華"}, {"name": "陈国华"}),  # traditional vs simplified
    ({"name": "李友琴"}, {"name": "李友勤"}),  # homophone
    ({"name": "王小明"}, {"name": "小明王"}),  # given/family swapped
    ({"name": "王小明"}, {"name": "王小朋"}),  # one character different, different sound
    ({"name": "王小明"}, {"name": "赵大勇"}),
    ({"name": "单田芳"}, {"name": "單田芳"}),  # 单 read shan, traditional form
]
NAME_EXPECTED = [
    "完全一致",
    "繁简转换后一致",
    "拼音相同",
    "姓名顺序颠倒",
    "一字之差",
    "不同",
    "繁简转换后一致",
]

DATE_CASES = [
    ({}, {}),
    ({"birth_date": "1980-03-04"}, {"birth_date": "1980-04-03"}),  # day/month swapped
    ({"birth_date": "1980-03-04"}, {"birth_date": "1981-03-04"}),  # year off
    ({"birth_date": "1980-03-04"}, {"birth_date": "1980-03-14"}),  # day off
    ({"birth_date": "1980-03-04"}, {"birth_date": "1975-11-20"}),
    ({"birth_date": "19800304"}, {"birth_date": "1980/03/04"}),  # formats
]
DATE_EXPECTED = ["完全一致", "日月颠倒", "一项不同", "一项不同", "不同", "完全一致"]

DIV_CASES = [
    ({}, {}),
    ({"division": "110105"}, {"division": "110108"}),  # same prefecture
    ({"division": "320582"}, {"division": "320102"}),  # same province, other prefecture
    ({"division": "110105"}, {"division": "320582"}),
    ({"division": None}, {}),
    ({"division": "110229"}, {"division": "110119"}),  # 延庆县 → its successor 延庆区
]
DIV_EXPECTED = ["同县", "同地市", "同省", "不同", "缺失", "同县"]


def test_identity_number_levels() -> None:
    assert levels(ID_CASES, "id_number") == ID_EXPECTED


def test_name_levels() -> None:
    assert levels(NAME_CASES, "name") == NAME_EXPECTED


def test_birth_date_levels() -> None:
    assert levels(DATE_CASES, "birth_date") == DATE_EXPECTED


def test_division_levels() -> None:
    assert levels(DIV_CASES, "division") == DIV_EXPECTED


def test_sex_and_address_levels() -> None:
    pairs = [
        ({}, {}),
        ({"sex": "男"}, {"sex": "2"}),
        ({"address": "北京市 朝陽區 建國路1號"}, {}),
        ({}, {"address": "北京市朝阳区建国路1号院"}),
        ({}, {"address": "广东省深圳市南山区"}),
    ]
    assert levels(pairs, "sex") == ["相同", "不同", "相同", "相同", "相同"]
    got = levels(pairs, "address")
    assert got[:3] == ["完全一致", "完全一致", "完全一致"]
    assert got[3].startswith("Jaro") and got[4] == "不同"


def test_common_name_is_weaker_evidence(trained: LinkModel) -> None:
    """Term-frequency adjustment: agreeing on 王伟 says less than agreeing on a rare name."""
    tf = trained.tf_tables["name__s"]
    assert tf.height > 10
    common = tf.sort(tf.columns[1], descending=True).row(0)[0]
    pairs = [
        ({"name": common, "id_number": None}, {"name": common, "id_number": None}),
        ({"name": "欧阳修远", "id_number": None}, {"name": "欧阳修远", "id_number": None}),
    ]
    left, right = _cases(pairs)
    out = compare_levels(left, right, trained.settings, model=trained)
    p = out["match_probability"].to_list()
    assert p[0] < p[1]


@pytest.mark.parametrize("bad", ["", "   "])
def test_blank_values_are_missing(bad: str) -> None:
    assert levels([({"name": bad}, {})], "name") == ["缺失"]
