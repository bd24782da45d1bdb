"""Refuse to run a command on a database whose schema is behind the code (one clear line, no traceback)."""

from __future__ import annotations

from sqlalchemy import Engine

from padis.errors import ConfigError


def require_current_schema(engine: Engine) -> Engine:
    """``engine`` when its schema is at every branch head, else ``ConfigError`` naming the fix."""
    from padis.store.migrate import is_up_to_date

    if not is_up_to_date(engine):
        raise ConfigError(
            "database schema is out of date",
            where=engine.url.render_as_string(hide_password=True),
            why="run `padis db upgrade`",
        )
    return engine
