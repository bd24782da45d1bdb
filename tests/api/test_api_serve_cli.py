"""``padis serve`` says where it listens and what is there before it starts serving."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from padis.cli import app
from padis.settings import get_settings
from padis.store.engine import get_engine


def test_serve_says_where_to_go(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PADIS_DATABASE_URL", db_url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    started: dict[str, object] = {}
    monkeypatch.setattr("uvicorn.run", lambda target, **kwargs: started.update(kwargs, target=target))
    try:
        result = CliRunner().invoke(app, ["serve", "--port", "8123", "--no-webhooks"])
    finally:
        get_engine(db_url).dispose()
        get_engine.cache_clear()
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "padis serving on http://127.0.0.1:8123" in result.output
    assert "http://127.0.0.1:8123/register/conflicts" in result.output and "/api/v1/docs" in result.output
    assert started["port"] == 8123 and started["target"] == "padis.api.serve:app_factory"
