"""Storage: schema base, engines for SQLite and PostgreSQL, Alembic migrations."""

from padis.store.base import Base
from padis.store.engine import get_engine, make_engine

__all__ = ["Base", "get_engine", "make_engine"]
