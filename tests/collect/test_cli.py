"""``padis collect`` and ``padis quarantine``: the report in the terminal and as JSON; one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from padis.cli import app
from padis.settings import get_settings
from padis.store.engine import get_engine


@pytest.fixture
def cli_db(db_url: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PADIS_DATABASE_URL", db_url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield db_url
    get_engine(db_url).dispose()
    get_engine.cache_clear()
    get_settings.cache_clear()


def test_collect_prints_and_writes_report(cli_db: str, extract: tuple[Path, Path], tmp_path: Path) -> None:
    path, _ = extract
    out = tmp_path / "report.json"
    runner = CliRunner()
    result = runner.invoke(
        app, ["collect", str(path), "--agency", "public_security", "--report-json", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "导入报告" in result.output and "id_number:bad_checksum" in result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["rows_read"] == 400
    assert report["rows_stored"] + report["rows_quarantined"] == 400
    assert sum(report["by_reason"].values()) >= report["rows_quarantined"] > 0
    listed = runner.invoke(app, ["quarantine", "list", "--reason", "birth_date", "--json"])
    assert listed.exit_code == 0
    assert all("birth_date" in r["reasons"] for r in json.loads(listed.output))
    again = runner.invoke(app, ["collect", str(path), "--agency", "public_security"])
    assert again.exit_code == 0 and "nothing changed" in again.output


def test_unknown_agency_is_one_line_exit_2(cli_db: str, extract: tuple[Path, Path]) -> None:
    result = CliRunner().invoke(app, ["collect", str(extract[0]), "--agency", "police"])
    assert result.exit_code == 2
    assert "unknown agency" in result.output and "Traceback" not in result.output


def test_quarantine_export_and_import(cli_db: str, extract: tuple[Path, Path], tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["collect", str(extract[0]), "--agency", "public_security"]).exit_code == 0
    book = tmp_path / "fix.xlsx"
    exported = runner.invoke(app, ["quarantine", "export", str(book)])
    assert exported.exit_code == 0, exported.output
    assert "exported" in exported.output and book.stat().st_size > 0
    imported = runner.invoke(app, ["quarantine", "import", str(book)])
    assert imported.exit_code == 0, imported.output
    assert "0 corrected" in imported.output  # nothing edited: nothing recorded
    missing = runner.invoke(app, ["quarantine", "import", str(tmp_path / "none.xlsx")])
    assert missing.exit_code == 2 and "file not found" in missing.output


def test_collect_a_delivery_folder_reports_each_file(
    cli_db: str, extract: tuple[Path, Path], tmp_path: Path
) -> None:
    path, mapping = extract
    folder = tmp_path / "delivery"
    folder.mkdir()
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    (folder / "a.csv").write_text("".join(lines), encoding="utf-8")
    (folder / "b.csv").write_text("".join(lines[:101]), encoding="utf-8")  # header + 100 rows
    (folder / "c.csv").write_bytes(b"")  # a broken file must not stop the others
    (folder / "notes.yaml").write_text("not data\n", encoding="utf-8")
    out = tmp_path / "reports.json"
    result = CliRunner().invoke(
        app,
        [
            "collect",
            str(folder),
            "--agency",
            "public_security",
            "--mapping",
            str(mapping),
            "--report-json",
            str(out),
        ],
    )
    assert result.exit_code == 2, result.output
    assert "采集汇总" in result.output and "1 failed" in result.output and "Traceback" not in result.output
    reports = json.loads(out.read_text(encoding="utf-8"))
    assert [Path(r["file"]).name for r in reports] == ["a.csv", "b.csv", "c.csv"]
    assert [r.get("rows_read") for r in reports[:2]] == [400, 100] and "error" in reports[2]
    assert all(r["rows_stored"] + r["rows_quarantined"] == r["rows_read"] for r in reports[:2])


def test_unknown_status_filters_are_one_line_errors(cli_db: str) -> None:
    runner = CliRunner()
    for args in (["quarantine", "list", "--status", "weird"], ["register", "conflicts", "--status", "weird"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and "unknown status 'weird'" in result.output, result.output
