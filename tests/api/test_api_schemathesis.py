"""Schemathesis against the OpenAPI document, in process: no 5xx, every response matches the schema."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from padis.api.app import create_app
from padis.exchange.fixtures import PASSWORD, build_world
from padis.store.engine import make_engine


@pytest.fixture
def api_schema(sqlite_template, tmp_path, cheap_argon2) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """The schema of an app on a seeded SQLite copy, with an administrator's token remembered."""
    import shutil

    path = tmp_path / "st.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    build_world(engine, n_persons=30)
    app = create_app(url, audit_sync=False, max_upload_bytes=100_000)
    with TestClient(app) as c:
        token = c.post("/api/v1/auth/login", json={"username": "admin", "password": PASSWORD}).json()
    app.state.test_headers = {"Authorization": f"Bearer {token['access_token']}", "X-Purpose": "fuzzing"}
    yield schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    engine.dispose()


def test_api_conforms(api_schema) -> None:  # type: ignore[no-untyped-def]
    """Every operation, a bounded number of generated cases each (schemathesis' pytest loader cannot take
    a fixture on this pytest, so the operations are driven here with Hypothesis directly)."""
    from hypothesis import given

    app = api_schema.app
    failures = []
    operations = [r.ok() for r in api_schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case) -> None:  # type: ignore[no-untyped-def]
            headers = {} if "/auth/" in case.path else dict(app.state.test_headers)
            case.call_and_validate(headers=headers, checks=[not_a_server_error, response_schema_conformance])

        try:
            run()
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure, then fail once
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:600]}")
    assert not failures, "\n\n".join(failures)
