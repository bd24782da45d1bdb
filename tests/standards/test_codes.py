"""Code tables: real standard values, normalisation of codes/labels/aliases, the 1984 education mapping."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from padis.errors import ConfigError, InputError
from padis.standards import codes

CONTRACT_TABLES = {
    "sex", "marital_status", "ethnicity", "education", "hukou_type", "relationship",
    "contraception_method", "agency", "event_type", "insurance_type",
}  # fmt: skip
BRIEF_TABLES = {"assistance_kind", "hukou_nature", "school_stage", "floating_reason"}


def test_contract_and_brief_tables_exist_with_standard_and_edition() -> None:
    names = set(codes.list_tables())
    assert names >= CONTRACT_TABLES | BRIEF_TABLES
    for name in names:
        table = codes.get_table(name)
        assert table.name == name
        assert table.label and table.standard and table.edition and len(table) > 0
        assert all(isinstance(c, str) and c for c in table.codes)


@pytest.mark.parametrize(
    ("name", "standard"),
    [
        ("sex", "GB/T 2261.1-2003"),
        ("marital_status", "GB/T 2261.2-2003"),
        ("ethnicity", "GB 3304-1991"),
        ("education", "GB/T 4658-2006"),
        ("education_1984", "GB 4658-1984"),
        ("relationship", "GB/T 4761-2008"),
        ("occupation", "GB/T 6565-2015"),
    ],
)
def test_tables_name_their_standard(name: str, standard: str) -> None:
    assert codes.get_table(name).standard == standard


def test_sex_is_gb_t_2261_1() -> None:
    assert dict(codes.get_table("sex").codes) == {
        "0": "未知的性别",
        "1": "男",
        "2": "女",
        "9": "未说明的性别",
    }


def test_marital_status_is_gb_t_2261_2() -> None:
    assert dict(codes.get_table("marital_status").codes) == {
        "10": "未婚", "20": "已婚", "21": "初婚", "22": "再婚", "23": "复婚",
        "30": "丧偶", "40": "离婚", "90": "未说明的婚姻状况",
    }  # fmt: skip


def test_ethnicity_has_56_groups_plus_97_and_98() -> None:
    table = codes.get_table("ethnicity")
    assert list(table.codes) == [f"{i:02d}" for i in range(1, 57)] + ["97", "98"]
    groups = [table.codes[f"{i:02d}"] for i in range(1, 57)]
    assert len(set(groups)) == 56 and all(g.endswith("族") for g in groups)
    assert table.codes["01"] == "汉族" and table.codes["56"] == "基诺族"
    assert (
        table.codes["05"] == "维吾尔族"
        and table.codes["29"] == "柯尔克孜族"
        and table.codes["46"] == "德昂族"
    )
    assert table.codes["97"] == "其他" and table.codes["98"] == "外国血统中国籍人士"


def test_ethnicity_aliases_short_names_letters_and_old_names() -> None:
    table = codes.get_table("ethnicity")
    assert table.normalize("汉") == "01"
    assert table.normalize("UG") == "05" and table.normalize("ug") == "05"
    assert table.normalize("崩龙族") == "46" and table.normalize("毛难族") == "36"
    assert table.normalize("1") == "01" and table.normalize(1) == "01"


def test_education_2006_levels_and_no_illiteracy_code() -> None:
    table = codes.get_table("education")
    levels = {c: table.codes[c] for c in ("10", "20", "30", "40", "60", "70", "80", "90")}
    assert levels["10"] == "研究生教育" and levels["80"] == "小学教育" and levels["90"] == "其他"
    assert "50" not in table
    assert table.normalize("文盲") is None
    assert all(len(c) == 2 and c.isdigit() for c in table.codes)


def test_relationship_is_gb_t_4761_2008() -> None:
    table = codes.get_table("relationship")
    expected = {"01": "本人", "02": "户主", "10": "配偶", "11": "夫", "12": "妻", "20": "子", "30": "女"}
    assert {c: table.codes[c] for c in expected} == expected
    assert table.codes["51"] == "父亲" and table.codes["52"] == "母亲" and table.codes["99"] == "非亲属"
    assert all(len(c) == 2 and c.isdigit() for c in table.codes)


def test_hukou_type_codes_and_post_2014_resident_hukou() -> None:
    table = codes.get_table("hukou_type")
    assert table.codes["10"] == "家庭户口" and table.codes["20"] == "集体户口"
    assert not table.is_deprecated("10") and not table.is_deprecated("20")
    assert all(table.is_deprecated(c) for c in ("11", "12", "21", "22"))
    # GA 324.1-2001 one-digit codes are read as aliases.
    assert [table.normalize(c) for c in ("0", "1", "2", "3", "4", "7")] == [
        "30",
        "11",
        "12",
        "21",
        "22",
        "90",
    ]
    assert table.normalize("居民户口") == "10" and table.normalize("集体户") == "20"
    assert "2014" in table.source and "GA 324.1" in table.standard


def test_hukou_nature_names_its_extension() -> None:
    table = codes.get_table("hukou_nature")
    assert dict(table.codes) == {"1": "非农业户口", "2": "农业户口", "3": "居民户口"}
    assert "padis" in table.standard


def test_agency_codes_are_the_contract_ones() -> None:
    assert list(codes.get_table("agency").codes) == [
        "public_security", "health", "civil_affairs", "education", "hrss", "pfp", "statistics", "node",
    ]  # fmt: skip


def test_contraception_methods_and_honest_standard() -> None:
    table = codes.get_table("contraception_method")
    labels = set(table.codes.values())
    for method in (
        "宫内节育器",
        "男性绝育",
        "女性绝育",
        "皮下埋植",
        "口服避孕药",
        "注射避孕针",
        "避孕套",
        "外用避孕药",
    ):
        assert method in labels
    assert "其他" in labels and "未避孕" in labels
    assert "无已知" in table.standard and "padis" in table.standard
    assert table.normalize("上环") == table.normalize("宫内节育器")


def test_assistance_kinds() -> None:
    table = codes.get_table("assistance_kind")
    assert table.normalize("奖励扶助") == "10" and table.normalize("特别扶助") == "20"
    assert "伤残" in table.codes["21"] and "死亡" in table.codes["22"]


def test_event_types_cover_change_feed_and_synth() -> None:
    assert set(codes.get_table("event_type").codes) == {
        "birth", "death", "marriage", "divorce", "move", "hukou_transfer", "school_entry", "update",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("table", "value", "code"),
    [
        ("sex", "1", "1"),
        ("sex", "男", "1"),
        ("sex", "男性", "1"),
        ("sex", "M", "1"),
        ("sex", "f", "2"),
        ("sex", " 女 ", "2"),
        ("sex", "\u3000女\u3000", "2"),
        ("sex", "Ｍ", "1"),
        ("sex", "１", "1"),
        ("sex", 2, "2"),
        ("sex", 2.0, "2"),
        ("sex", "2.0", "2"),
        ("sex", "01", "1"),
        ("marital_status", "离异", "40"),
        ("marital_status", "已婚", "20"),
        ("agency", "公安", "public_security"),
        ("agency", "HRSS", "hrss"),
        ("education", "大专", "30"),
        ("insurance_type", "新农合", "390"),
        ("floating_reason", "务工经商", "1"),
    ],
)
def test_normalize_accepts_code_label_alias(table: str, value: object, code: str) -> None:
    assert codes.get_table(table).normalize(value) == code


@pytest.mark.parametrize("value", [None, "", "   ", "3", "男女", "unknown", 7])
def test_normalize_rejects_unknown_and_empty(value: object) -> None:
    assert codes.get_table("sex").normalize(value) is None


def test_unknown_table_is_an_input_error_naming_the_known_ones() -> None:
    with pytest.raises(InputError) as info:
        codes.get_table("gender")
    assert "gender" in info.value.what and "sex" in info.value.why


def test_normalize_series_keeps_order_length_name_and_nulls() -> None:
    series = pl.Series("XB", ["女", None, "M", "x", "1", "", "女性"])
    out = codes.normalize_series("sex", series)
    assert out.name == "XB" and out.dtype == pl.String
    assert out.to_list() == ["2", None, "1", None, "1", None, "2"]


def test_normalize_series_on_integers() -> None:
    out = codes.normalize_series("ethnicity", pl.Series([1, 56, 97, 99]))
    assert out.to_list() == ["01", "56", "97", None]


def _all_spellings() -> list[tuple[str, str]]:
    pairs = []
    for name, table in codes.all_tables().items():
        pairs += [(name, s) for s in [*table.codes, *table.codes.values(), *table.aliases]]
    return pairs


SPELLINGS = _all_spellings()


def test_every_spelling_of_every_table_normalises_to_a_code() -> None:
    for name, spelling in SPELLINGS:
        table = codes.get_table(name)
        assert table.normalize(spelling) in table, (name, spelling)


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(sorted(codes.list_tables())),
    st.lists(
        st.one_of(
            st.sampled_from([s for _, s in SPELLINGS]),
            st.text(alphabet="0123456789 .ＭＦmf男女\u3000汉族", max_size=5),
            st.none(),
        ),
        max_size=30,
    ),
)
def test_series_and_scalar_normalisation_agree(table_name: str, values: list[str | None]) -> None:
    table = codes.get_table(table_name)
    got = codes.normalize_series(table_name, pl.Series("v", values, dtype=pl.String)).to_list()
    assert got == [table.normalize(v) for v in values]


def test_normalize_series_is_columnar_fast() -> None:
    values = pl.Series("v", ["男", "女", "M", "2", "未知", "x"] * 50_000)
    import time

    start = time.perf_counter()
    out = codes.normalize_series("sex", values)
    assert time.perf_counter() - start < 3.0
    assert out.null_count() == 50_000


def test_education_1984_mapping_including_the_90_case() -> None:
    old, new = codes.get_table("education_1984"), codes.get_table("education")
    # Same code, different meaning: that is why the mapping exists.
    assert old.codes["90"] == "文盲或半文盲" and new.codes["90"] == "其他"
    assert codes.map_education_1984("90") == "90"
    assert codes.map_education_1984("90", strict=True) is None
    entry = codes.education_1984_entry("90")
    assert entry is not None and not entry.exact and "illitera" in entry.note
    assert codes.map_education_1984("文盲") == "90"
    assert codes.map_education_1984("20") == "20" and codes.map_education_1984("20", strict=True) == "20"
    assert codes.map_education_1984("50") == "40"  # 技工学校: no technical-school level in 2006
    assert codes.map_education_1984("21") == "20"  # a 1984 sub-code goes through its level
    assert codes.map_education_1984("技校") == "40"
    assert codes.map_education_1984("99") is None and codes.map_education_1984(None) is None


def test_education_1984_series_mapping_matches_scalar() -> None:
    values = ["10", "20", "30", "40", "50", "60", "70", "80", "90", "文盲", "21", "95", "x", None, "05"]
    mapping = codes.get_mapping("education_1984_to_2006")
    for strict in (False, True):
        got = mapping.map_series(pl.Series("edu", values), strict=strict)
        assert got.name == "edu"
        assert got.to_list() == [codes.map_education_1984(v, strict=strict) for v in values]


def test_every_1984_code_maps_into_the_2006_table() -> None:
    mapping = codes.get_mapping("education_1984_to_2006")
    assert set(mapping.entries) == set(codes.get_table("education_1984").codes)
    assert all(e.target in codes.get_table("education") for e in mapping.entries.values())


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_unquoted_codes_are_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "t", "name: t\nlabel: x\nstandard: s\nedition: '1'\ncodes:\n  01: a\n")
    with pytest.raises(ConfigError) as info:
        codes.load_table(path)
    assert "quote" in info.value.why


def test_alias_to_unknown_code_is_refused(tmp_path: Path) -> None:
    text = "name: t\nlabel: x\nstandard: s\nedition: '1'\ncodes: {'1': a}\naliases: {b: '2'}\n"
    with pytest.raises(ConfigError, match="unknown codes"):
        codes.load_table(_write(tmp_path, "t", text))


def test_ambiguous_spelling_is_refused(tmp_path: Path) -> None:
    text = "name: t\nlabel: x\nstandard: s\nedition: '1'\ncodes: {'1': a, '2': b}\naliases: {A: '2'}\n"
    with pytest.raises(ConfigError, match="ambiguous"):
        codes.load_table(_write(tmp_path, "t", text))


def test_table_name_must_match_file(tmp_path: Path) -> None:
    text = "name: other\nlabel: x\nstandard: s\nedition: '1'\ncodes: {'1': a}\n"
    with pytest.raises(ConfigError, match="file name"):
        codes.load_table(_write(tmp_path, "t", text))
