"""The stats, survey and project commands on a saved hand-made snapshot."""

from __future__ import annotations

import json

import polars as pl
import pytest
from typer.testing import CliRunner

from padis.cli import app


@pytest.fixture
def snap_dir(hand, tmp_path, monkeypatch):
    monkeypatch.setenv("PADIS_HOME", str(tmp_path / "home"))
    from padis.settings import get_settings

    get_settings.cache_clear()
    yield hand.save(tmp_path / "snap")
    get_settings.cache_clear()


runner = CliRunner()


def test_indicators_json_and_table(snap_dir):
    r = runner.invoke(app, ["stats", "indicators", "--from", str(snap_dir), "--period", "2020",
                            "--division", "110000", "-i", "CBR", "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert rows[0]["indicator"] == "CBR" and rows[0]["value"] == pytest.approx(300.0)
    r = runner.invoke(app, ["stats", "indicators", "--from", str(snap_dir), "--period", "2020",
                            "--level", "county", "-i", "POP"])
    assert r.exit_code == 0 and "110102" in r.output


def test_bad_period_is_one_line(snap_dir):
    r = runner.invoke(app, ["stats", "indicators", "--from", str(snap_dir), "--period", "20x0"])
    assert r.exit_code == 2
    assert "Traceback" not in r.output


def test_export_compare_project_survey(snap_dir, tmp_path):
    r = runner.invoke(app, ["stats", "export", "--from", str(snap_dir), "--period", "2020", "--format",
                            "sdmx-ml", "--out", str(tmp_path / "x.xml"), "--no-suppress"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "x.structure.xml").exists()
    (tmp_path / "gaj.csv").write_text("division,value\n110101,5\n110102,9\n", encoding="utf-8")
    r = runner.invoke(app, ["stats", "compare", str(tmp_path / "gaj.csv"), "--from", str(snap_dir),
                            "--source", "public_security", "--period", "2020"])
    assert r.exit_code == 0, r.output
    assert "1 of 3 divisions flagged" in r.output or "2 of 3 divisions flagged" in r.output
    r = runner.invoke(app, ["project", "--from", str(snap_dir), "--base-year", "2020", "--years", "10",
                            "--scenario", "tfr=1.0,1.6", "--format", "csv", "--out", str(tmp_path / "p.csv")])
    assert r.exit_code == 0, r.output
    proj = pl.read_csv(tmp_path / "p.csv")
    assert proj.get_column("year").max() == 2030
    r = runner.invoke(app, ["survey", "sample", "--from", str(snap_dir), "--on", "2020-12-31", "--n", "2",
                            "--out", str(tmp_path / "s.csv")])
    assert r.exit_code == 0, r.output
    sample = pl.read_csv(tmp_path / "s.csv")
    pl.DataFrame({"person_id": sample.get_column("person_id"), "y": [1.0] * sample.height}).write_csv(
        tmp_path / "resp.csv")
    r = runner.invoke(app, ["survey", "estimate", str(tmp_path / "s.csv"), str(tmp_path / "resp.csv"),
                            "--var", "y", "--kind", "total", "--format", "json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)[0]["est"] == pytest.approx(11.0)   # Σ weights = N
    r = runner.invoke(app, ["stats", "dp", "--from", str(snap_dir), "--period", "2020", "--epsilon", "0.5"])
    assert r.exit_code == 0 and "ε = 0.5" in r.output


def test_division_given_as_a_prefix_or_bad(snap_dir):
    r = runner.invoke(app, ["stats", "indicators", "--from", str(snap_dir), "--period", "2020", "-d", "11",
                            "-i", "POP", "--format", "json"])
    assert r.exit_code == 0, r.output
    assert {row["ref_area"] for row in json.loads(r.output)} == {"110000"}  # 11 = the province 110000
    r = runner.invoke(app, ["stats", "indicators", "--from", str(snap_dir), "--period", "2020", "-d", "1x"])
    assert r.exit_code == 2 and "bad division code" in r.output
