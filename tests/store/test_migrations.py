"""Migrations: every branch upgrades on both databases, and the models match the migrated schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from padis.store.base import Base
from padis.store.migrate import current_heads, expected_heads, import_models, is_up_to_date


def test_fresh_database_is_at_every_head(engine: Engine) -> None:
    assert current_heads(engine) == expected_heads(engine)
    assert is_up_to_date(engine)


def test_models_match_migrations(engine: Engine) -> None:
    import_models()
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"
