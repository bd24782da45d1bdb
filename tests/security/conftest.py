"""Cheap Argon2 parameters for tests (the production default costs ~0.4 s per hash here)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Argon2 with 1 MiB and one pass, a private PADIS_HOME, fresh caches."""
    monkeypatch.setenv("PADIS_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("PADIS_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("PADIS_HOME", str(tmp_path / "home"))
    from padis.exchange.agreements import PRINCIPALS
    from padis.settings import get_settings

    get_settings.cache_clear()
    PRINCIPALS.clear()
