"""The services from the command line: members, agreements, query, verify, users, audit."""

from __future__ import annotations

import re

import polars as pl
import pytest
from typer.testing import CliRunner

from padis.exchange.fixtures import make_persons
from padis.exchange.seed import seed_persons


@pytest.fixture
def cli(db_url, monkeypatch):  # type: ignore[no-untyped-def]
    from padis.settings import get_settings
    from padis.store.engine import get_engine

    monkeypatch.setenv("PADIS_DATABASE_URL", db_url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    from padis.cli import app

    runner = CliRunner()
    yield lambda *args: runner.invoke(app, list(args))
    get_engine.cache_clear()


def test_cli_flow(cli, engine, tmp_path):  # type: ignore[no-untyped-def]
    persons = make_persons(30)
    seed_persons(engine, persons)
    r = cli("members", "add", "health_bj", "--agency", "health")
    assert r.exit_code == 0, r.output
    assert re.search(r"[A-Za-z0-9_-]{40,}", r.output)
    assert cli("members", "add", "bad", "--agency", "nope").exit_code == 2
    r = cli(
        "agreements",
        "add",
        "health_bj",
        "--services",
        "query,verify",
        "--fields",
        "id_number,name",
        "--purposes",
        "medical_insurance",
        "--divisions",
        "110000",
    )
    assert r.exit_code == 0, r.output
    r = cli(
        "agreements",
        "add",
        "health_bj",
        "--services",
        "query",
        "--fields",
        "salary",
        "--purposes",
        "x",
        "--divisions",
        "110000",
    )
    assert r.exit_code == 2 and "data dictionary" in r.output
    assert "health_bj" in cli("agreements", "list").output
    assert '"medical_insurance"' in cli("agreements", "show", "1").output
    bj = persons.filter(pl.col("registered_division").str.starts_with("11")).row(0, named=True)
    zj = persons.filter(pl.col("registered_division").str.starts_with("33")).row(0, named=True)
    r = cli("query", "--id", bj["id_number"], "--purpose", "medical_insurance", "--as-client", "health_bj")
    assert r.exit_code == 0 and bj["name"] in r.output and '"sex"' not in r.output
    r = cli("query", "--id", zj["id_number"], "--purpose", "medical_insurance", "--as-client", "health_bj")
    assert r.exit_code == 3 and "division_not_allowed" in r.output
    batch = tmp_path / "batch.csv"
    persons.select("id_number", "name").write_csv(batch)
    out = tmp_path / "result.xlsx"
    r = cli(
        "verify", str(batch), "--out", str(out), "--as-client", "health_bj", "--purpose", "medical_insurance"
    )
    assert r.exit_code == 0, r.output
    assert out.exists() and "out_of_scope" in r.output and "match" in r.output
    assert cli("users", "add", "bob", "--role", "auditor", "--password", "long-enough-1").exit_code == 0
    assert "auditor" in cli("users", "list").output
    r = cli("audit", "person", bj["id_number"])
    assert r.exit_code == 0 and "2 access(es)" in r.output
    assert cli("agreements", "revoke", "1").exit_code == 0
    r = cli("query", "--id", bj["id_number"], "--purpose", "medical_insurance", "--as-client", "health_bj")
    assert r.exit_code == 3 and "no_agreement" in r.output
    r = cli("audit", "verify")
    assert r.exit_code == 0 and "intact" in r.output
