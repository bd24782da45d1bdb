"""Database problems a user can fix are one line naming the fix, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from padis.cli import app
from padis.settings import get_settings
from padis.store.engine import get_engine


def _run(monkeypatch: pytest.MonkeyPatch, url: str, args: list[str]):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PADIS_DATABASE_URL", url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        return CliRunner().invoke(app, args)
    finally:
        get_engine.cache_clear()
        get_settings.cache_clear()


def test_database_without_schema_says_run_db_upgrade(
    monkeypatch: pytest.MonkeyPatch, extract: tuple[Path, Path], tmp_path: Path
) -> None:
    path, mapping = extract
    result = _run(
        monkeypatch,
        f"sqlite:///{tmp_path / 'new.db'}",
        ["collect", str(path), "--agency", "public_security", "--mapping", str(mapping)],
    )
    assert result.exit_code == 2
    assert (
        "database schema is missing or out of date" in result.output and "padis db upgrade" in result.output
    )
    assert "Traceback" not in result.output


def test_unreachable_database_is_one_line_without_the_password(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "postgresql+psycopg://padis:s3cret@127.0.0.1:1/padis"
    result = _run(monkeypatch, url, ["register", "show", "110101199003070011"])
    assert result.exit_code == 2
    assert "cannot reach the database" in result.output and "s3cret" not in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("no such column: person.education_record", "padis db upgrade"),
        ('column "education_record" does not exist', "padis db upgrade"),
        ('relation "batch" does not exist', "padis db upgrade"),
        ("connection refused", "cannot reach the database"),
        ("division by zero", None),
    ],
)
def test_database_problems_are_classified(message: str, expected: str | None) -> None:
    from sqlalchemy.exc import OperationalError

    from padis.cli import database_problem

    problem = database_problem(OperationalError("SELECT 1", {}, Exception(message)))
    if expected is None:
        assert problem is None  # not a problem the user can fix: the error goes up as it is
    else:
        assert problem is not None and expected in problem.line()
