"""Fixtures for the API tests: an app on a fresh database with a known world, and token helpers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from padis.api.app import create_app
from padis.exchange.agreements import PRINCIPALS
from padis.exchange.fixtures import PASSWORD, World, build_world


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Argon2 with 1 MiB and one pass (the production default costs ~0.4 s per hash here)."""
    monkeypatch.setenv("PADIS_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("PADIS_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("PADIS_HOME", str(tmp_path / "home"))
    from padis.settings import get_settings

    get_settings.cache_clear()


@pytest.fixture
def world(engine: Engine) -> World:
    """Persons, members and users in the test database."""
    PRINCIPALS.clear()
    return build_world(engine)


@pytest.fixture
def client(db_url: str, world: World) -> Iterator[TestClient]:
    """A TestClient on an app with synchronous audit writes."""
    app = create_app(db_url, audit_sync=True, max_upload_bytes=200_000)
    with TestClient(app) as c:
        yield c


class Auth:
    """Builds Authorization headers for members and staff users (tokens cached per name)."""

    def __init__(self, c: TestClient, world: World) -> None:
        self.c, self.world, self._cache = c, world, {}  # type: ignore[var-annotated]

    def client(self, client_id: str, purpose: str | None = None) -> dict[str, str]:
        """Headers for a member (with ``X-Purpose`` when given)."""
        if client_id not in self._cache:
            r = self.c.post(
                "/api/v1/auth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": client_id,
                    "client_secret": self.world.secrets[client_id],
                },
            )
            assert r.status_code == 200, r.text
            self._cache[client_id] = r.json()["access_token"]
        return _headers(self._cache[client_id], purpose)

    def staff(self, username: str, purpose: str | None = None) -> dict[str, str]:
        """Headers for a staff user."""
        key = "staff:" + username
        if key not in self._cache:
            r = self.c.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
            assert r.status_code == 200, r.text
            self._cache[key] = r.json()["access_token"]
        return _headers(self._cache[key], purpose)


def _headers(token: str, purpose: str | None) -> dict[str, str]:
    h = {"Authorization": f"Bearer {token}"}
    if purpose:
        h["X-Purpose"] = purpose
    return h


@pytest.fixture
def auth(client: TestClient, world: World) -> Auth:
    """Header builder for the test client."""
    return Auth(client, world)
