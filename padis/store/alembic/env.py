"""Alembic environment: runs against the engine padis hands in (SQLite in batch mode)."""

from __future__ import annotations

from alembic import context

from padis.store.base import Base
from padis.store.migrate import import_models

import_models()
config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()
