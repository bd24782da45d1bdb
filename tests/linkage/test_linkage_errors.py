"""Bad input gives one clear PadisError: missing column, empty file, duplicate ids, bad settings."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from padis.cli import app
from padis.errors import ConfigError, InputError, PadisError
from padis.linkage import model as mdl
from padis.linkage.settings import load_settings, parse_settings

SETTINGS = """
id_column: pid
columns:
  - {name: sfzh, type: id_number}
  - {name: xm, type: chinese_name}
  - {name: csrq, type: birth_date}
  - {name: xb, type: sex}
thresholds: {match: 0.9, review_low: 0.3}
training: {max_pairs_u: 50000}
"""


def _write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_missing_column(tmp_path: Path) -> None:
    s = load_settings(_write(tmp_path, SETTINGS))
    frame = pl.DataFrame({"pid": ["1"], "sfzh": ["x"], "xm": ["王伟"], "csrq": ["1990-01-01"]})
    with pytest.raises(ConfigError, match="xb"):
        mdl.prepare(frame, s)


def test_duplicate_ids(tmp_path: Path) -> None:
    s = load_settings(_write(tmp_path, SETTINGS))
    frame = pl.DataFrame(
        {"pid": ["1", "1"], "sfzh": ["a", "b"], "xm": ["王伟", "李娜"], "csrq": ["", ""], "xb": ["1", "2"]}
    )
    with pytest.raises(InputError, match="share an id"):
        mdl.prepare(frame, s)


def test_empty_frame_and_file(tmp_path: Path) -> None:
    s = load_settings(_write(tmp_path, SETTINGS))
    with pytest.raises(InputError, match="no records"):
        mdl.prepare(pl.DataFrame({"pid": []}), s)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    result = CliRunner().invoke(app, ["link", "dedupe", str(empty), "--settings", str(tmp_path / "s.yaml")])
    assert result.exit_code == 2
    assert "empty" in result.output.lower()
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "text, message",
    [
        ("columns: [{name: a}]", "id_column"),
        ("id_column: x", "columns"),
        ("id_column: x\ncolumns: [{name: a, type: fuzzy}]", "unknown comparison type"),
        ("id_column: x\ncolumns: [a]\nthresholds: {match: 2}", "thresholds"),
        ("- just a list", "mapping"),
    ],
)
def test_bad_settings(text: str, message: str) -> None:
    import yaml

    with pytest.raises(PadisError, match=message):
        parse_settings(yaml.safe_load(text))


def test_cli_missing_column_is_one_line(tmp_path: Path) -> None:
    data = tmp_path / "p.csv"
    data.write_text("pid,sfzh,xm,csrq\n1,11010519491231002X,王伟,1949-12-31\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["link", "dedupe", str(data), "--settings", str(_write(tmp_path, SETTINGS))]
    )
    assert result.exit_code == 2
    assert "missing" in result.output and "xb" in result.output
    assert "Traceback" not in result.output


def test_cli_dedupe_and_between_write_outputs(tmp_path: Path, fake_records) -> None:  # type: ignore[no-untyped-def]
    records, _ = fake_records
    renamed = (
        records.rename(
            {"record_id": "pid", "id_number": "sfzh", "name": "xm", "birth_date": "csrq", "sex": "xb"}
        )
        .with_columns((pl.col("dataset") + "-" + pl.col("pid")).alias("pid"))
        .select("pid", "sfzh", "xm", "csrq", "xb")
        .head(2500)
    )
    a, b = tmp_path / "a.csv", tmp_path / "b.parquet"
    renamed.head(1500).write_csv(a)
    renamed.tail(1000).write_parquet(b)
    s = _write(tmp_path, SETTINGS)
    runner = CliRunner()
    r1 = runner.invoke(
        app,
        [
            "link",
            "dedupe",
            str(a),
            "--settings",
            str(s),
            "--out",
            str(tmp_path / "p.parquet"),
            "--clusters",
            str(tmp_path / "c.csv"),
        ],
    )
    assert r1.exit_code == 0, r1.output
    clusters = pl.read_csv(tmp_path / "c.csv")
    assert set(clusters.columns) == {"source", "record_id", "cluster_id"} and clusters.height == 1500
    pairs = pl.read_parquet(tmp_path / "p.parquet")
    assert {"record_id_l", "record_id_r", "match_probability"} <= set(pairs.columns)
    r2 = runner.invoke(
        app, ["link", "between", str(a), str(b), "--settings", str(s), "--out", str(tmp_path / "ab.csv")]
    )
    assert r2.exit_code == 0, r2.output
    ab = pl.read_csv(tmp_path / "ab.csv", infer_schema=False)
    assert ab.height > 0 and (ab["source_l"] != ab["source_r"]).all()


def test_cli_relink_before_linking_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PADIS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PADIS_DATABASE_URL", f"sqlite:///{tmp_path / 'padis.db'}")
    from padis.settings import get_settings
    from padis.store.engine import make_engine
    from padis.store.migrate import upgrade

    get_settings.cache_clear()
    upgrade(make_engine(f"sqlite:///{tmp_path / 'padis.db'}"))
    result = CliRunner().invoke(app, ["link", "relink"])
    get_settings.cache_clear()
    assert result.exit_code == 2 and "padis link register" in result.output
    assert "Traceback" not in result.output
