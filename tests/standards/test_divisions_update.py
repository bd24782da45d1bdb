"""Loading a newer official list over the installed history (``padis standards divisions update``)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from padis.errors import ConfigError, InputError
from padis.settings import get_settings
from padis.standards.divisions import get_divisions
from padis.standards.divisions_store import load_overlay, overlay_path
from padis.standards.divisions_update import read_division_list, update_from_file


@pytest.fixture(scope="module")
def base_pickle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The registry without overlay, built once and pickled, so each test's fresh home starts warm."""
    home = tmp_path_factory.mktemp("divisions-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PADIS_HOME", str(home))
        get_settings.cache_clear()
        get_divisions.cache_clear()
        get_divisions()
    get_settings.cache_clear()
    get_divisions.cache_clear()
    (pickled,) = (home / "divisions").glob("registry-*.pickle")
    return pickled


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, base_pickle: Path) -> Iterator[Path]:
    """A fresh PADIS_HOME (holding only the warm base cache) with settings and division caches cleared."""
    home = tmp_path / "home"
    (home / "divisions").mkdir(parents=True)
    shutil.copy(base_pickle, home / "divisions" / base_pickle.name)
    monkeypatch.setenv("PADIS_HOME", str(home))
    get_settings.cache_clear()
    get_divisions.cache_clear()
    yield home
    get_settings.cache_clear()
    get_divisions.cache_clear()


def beijing_2026(tmp_path: Path) -> Path:
    """Beijing's current list with a new district, a district re-coded as a city, a rename, a merge."""
    reg = get_divisions()
    rows = {d.code: d.name for d in reg if d.is_current and d.code.startswith("11")}
    rows.pop("110116")  # 怀柔区 merged into the new 110120
    rows.pop("110119")  # 延庆区 re-coded as 110121 延庆市
    rows["110120"] = "雁栖区"
    rows["110121"] = "延庆市"
    rows["110109"] = "门头沟新区"  # renamed in place
    path = tmp_path / "beijing.txt"
    # The MCA page copied as text: a header line, then "code<TAB>name".
    path.write_text("行政区划代码\t单位名称\n" + "".join(f"{c}\t{n}\n" for c, n in sorted(rows.items())),
                    encoding="utf-8")
    return path


def test_complete_list_adds_renames_and_ends(home: Path, tmp_path: Path) -> None:
    summary = update_from_file(beijing_2026(tmp_path), year=2026)
    assert summary.saved and summary.skipped_lines == 0  # the header row is read as a header
    assert summary.added == {"110120": "雁栖区", "110121": "延庆市"}
    assert summary.renamed == {"110109": ("门头沟区", "门头沟新区")}
    assert set(summary.ended) == {"110116", "110119"}
    assert summary.successors == {"110116": ["110120"], "110119": ["110121"]}

    reg = get_divisions()
    assert reg.get("110120").start_year == 2026 and reg.valid_in("110120", 2026)  # type: ignore[union-attr]
    assert not reg.valid_in("110120", 2025)
    assert reg.get("110116").end_year == 2025 and not reg.valid_in("110116", 2026)  # type: ignore[union-attr]
    assert reg.get("110119").successors[0].kind == "renamed"  # type: ignore[union-attr]
    assert reg.get("110116").successors[0].kind == "new_in_parent"  # type: ignore[union-attr]
    mentougou = [(s.name, s.start_year, s.end_year) for s in reg.get("110109").names]  # type: ignore[union-attr]
    assert mentougou == [("门头沟区", None, 2025), ("门头沟新区", 2026, None)]
    assert reg.name("110109", 2020) == "门头沟区" and reg.name("110109") == "门头沟新区"
    # Other provinces are untouched by a list that only speaks for Beijing.
    assert reg.get("120110").is_current  # type: ignore[union-attr]
    assert reg.source.endswith("+ 1 loaded list(s) (2026)")


def test_update_survives_a_restart(home: Path, tmp_path: Path) -> None:
    update_from_file(beijing_2026(tmp_path), year=2026)
    saved = json.loads(overlay_path().read_text(encoding="utf-8"))
    assert saved["format"] == 1 and saved["updates"][0]["year"] == 2026
    assert saved["updates"][0]["added"] == {"110120": "雁栖区", "110121": "延庆市"}
    get_divisions.cache_clear()  # a new process: only the overlay file carries the change
    reg = get_divisions()
    assert reg.current("110119") == ["110121"]
    assert reg.is_known("110120")


def test_same_list_twice_changes_nothing(home: Path, tmp_path: Path) -> None:
    path = beijing_2026(tmp_path)
    update_from_file(path, year=2026)
    again = update_from_file(path, year=2026)
    assert not again.changed and not again.saved
    assert len(load_overlay()) == 1


def test_dry_run_saves_nothing(home: Path, tmp_path: Path) -> None:
    summary = update_from_file(beijing_2026(tmp_path), year=2026, dry_run=True)
    assert summary.changed and not summary.saved
    assert not overlay_path().exists()
    assert get_divisions().get("110120") is None


def test_partial_csv_list_ends_nothing(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "new.csv"
    path.write_text("code,name\n120120,海河新区\n120101,和平区\n", encoding="utf-8")
    summary = update_from_file(path, year=2026, complete=False)
    assert summary.added == {"120120": "海河新区"} and not summary.ended and not summary.renamed
    assert get_divisions().get("120102").is_current  # type: ignore[union-attr]


def test_json_object_list_in_gb18030(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_bytes(json.dumps({"120120": "海河新区"}, ensure_ascii=False).encode("gb18030"))
    entries, skipped = read_division_list(path)
    assert entries == {"120120": "海河新区"} and skipped == 0


def test_plain_mca_lines_with_spaces(tmp_path: Path) -> None:
    path = tmp_path / "mca.txt"
    path.write_text("110000 北京市\n  110101\u3000东城区 \n\n说明：港澳台不含\n", encoding="utf-8")
    entries, skipped = read_division_list(path)
    assert entries == {"110000": "北京市", "110101": "东城区"} and skipped == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"no codes here\n", "no division codes"),
        ("110000,北京市\n110000,北平市\n".encode(), "listed twice"),
        (b"{not json", "not valid JSON"),
        (b'{"11000": "x"}', "six-digit"),
        (b"\xff\xfe\x00\xd8", "neither UTF-8 nor GB18030"),
    ],
)
def test_bad_lists_are_refused(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_division_list(path)


def test_missing_file_and_bad_years(home: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        read_division_list(tmp_path / "absent.txt")
    with pytest.raises(InputError, match="out of range"):
        update_from_file(beijing_2026(tmp_path), year=1970)
    path = beijing_2026(tmp_path)
    update_from_file(path, year=2026)
    with pytest.raises(InputError, match="already loaded"):
        update_from_file(path, year=2024)


def test_xlsx_list_with_chinese_headers(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["区划代码", "单位名称", "备注"])
    sheet.append(["110000", "北京市", ""])
    sheet.append(["120120", "海河新区", "新设"])
    path = tmp_path / "list.xlsx"
    book.save(path)
    entries, _ = read_division_list(path)
    assert entries == {"110000": "北京市", "120120": "海河新区"}


def test_xlsx_without_code_column_is_refused(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.append(["甲", "乙"])
    book.active.append(["1", "2"])
    path = tmp_path / "list.xlsx"
    book.save(path)
    with pytest.raises(InputError, match="no code and name columns"):
        read_division_list(path)


def test_csv_with_a_bad_code_names_the_row(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("code,name\n110000,北京市\n11010,东城区\n", encoding="utf-8")
    with pytest.raises(InputError, match="row 2 has no six-digit code"):
        read_division_list(path)


@pytest.mark.parametrize(
    "content",
    ["{broken", '{"format": 9, "updates": []}', '{"format": 1, "updates": [{"year": "2026"}]}'],
)
def test_a_damaged_overlay_is_a_config_error(home: Path, content: str) -> None:
    overlay_path().write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match="division overlay"):
        get_divisions()


def test_a_damaged_cache_is_rebuilt(home: Path) -> None:
    (pickled,) = (home / "divisions").glob("registry-*.pickle")
    pickled.write_bytes(b"not a pickle")
    assert get_divisions().successors("110224") == ["110115"]
