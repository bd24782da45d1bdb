"""``padis standards divisions`` commands."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from padis.cli import app
from padis.settings import get_settings
from padis.standards.divisions import get_divisions

runner = CliRunner()


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


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, base_pickle: Path) -> Iterator[Path]:
    """A fresh PADIS_HOME (holding only the warm base cache) with settings and division caches cleared."""
    home = tmp_path / "home"
    (home / "divisions").mkdir(parents=True)
    shutil.copy(base_pickle, home / "divisions" / base_pickle.name)
    monkeypatch.setenv("PADIS_HOME", str(home))
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    get_divisions.cache_clear()
    yield home
    get_settings.cache_clear()
    get_divisions.cache_clear()


def run(*args: str) -> tuple[int, str]:
    """Exit code and output of ``padis standards divisions ARGS``."""
    result = runner.invoke(app, ["standards", "divisions", *args])
    return result.exit_code, result.output


def test_show_abolished_code() -> None:
    code, out = run("show", "110224")
    assert code == 0, out
    assert "大兴县" in out and "1982–2001" in out and "已撤销" in out
    assert "110200 县 → 110000 北京市" in out
    assert "110115 大兴区" in out and "renamed" in out


def test_show_renamed_in_place() -> None:
    code, out = run("show", "120110")
    assert code == 0
    assert "…–1991: 东郊区" in out and "1992–今: 东丽区" in out and "现行" in out


def test_show_unknown_code_is_one_line_error() -> None:
    code, out = run("show", "999999")
    assert code == 2
    assert "unknown division code 999999" in out and "Traceback" not in out
    code, out = run("show", "12ab")
    assert code == 2 and "six-digit" in out


def test_list_counties_of_a_province_in_a_year() -> None:
    code, out = run("list", "--province", "11", "--year", "2000", "--plain")
    assert code == 0
    lines = dict(line.split("\t") for line in out.strip().splitlines())
    assert lines["110224"] == "大兴县" and "110115" not in lines
    code, out = run("list", "--level", "prefecture", "--province", "13")
    assert code == 0 and "130100" in out and "石家庄市" in out
    code, out = run("list", "--level", "town")
    assert code == 2 and "unknown level" in out


def test_search_by_name() -> None:
    code, out = run("search", "东郊")
    assert code == 0 and "120110" in out
    code, out = run("search", "不存在的地名")
    assert code == 2


def test_update_prints_a_summary(tmp_path: Path) -> None:
    path = tmp_path / "new.txt"
    path.write_text("120120 海河新区\n120101 和平一区\n", encoding="utf-8")
    code, out = run("update", str(path), "--year", "2026", "--partial")
    assert code == 0, out
    assert "added: 1" in out and "renamed: 1" in out and "ended: 0" in out
    assert "120101 和平区 → 和平一区" in out
    code, out = run("show", "120101")
    assert "2026–今: 和平一区" in out
    code, out = run("info")
    assert code == 0 and "1 loaded list(s) (2026)" in out


def test_update_bad_file_is_one_line_error(tmp_path: Path) -> None:
    code, out = run("update", str(tmp_path / "absent.txt"))
    assert code == 2 and "cannot read" in out
