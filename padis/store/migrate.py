"""Alembic migrations: one branch per domain package, upgraded together to ``heads``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

import padis
from padis.domains import DOMAINS, domain_modules

PACKAGE_DIR = Path(padis.__file__).parent


def migration_dirs() -> list[Path]:
    """Every domain's ``migrations`` folder, in domain order."""
    return [d for d in (PACKAGE_DIR / name / "migrations" for name in DOMAINS) if d.is_dir()]


def import_models() -> None:
    """Import every domain's ``models`` module so ``Base.metadata`` holds all tables."""
    # importing is the point: each models module adds its tables to Base.metadata
    list(domain_modules("models"))


def alembic_config(engine: Engine) -> Config:
    """An Alembic config bound to ``engine`` with every domain's version folder."""
    cfg = Config()
    cfg.set_main_option("script_location", str(PACKAGE_DIR / "store" / "alembic"))
    cfg.set_main_option("version_locations", " ".join(str(d) for d in migration_dirs()))
    cfg.set_main_option("path_separator", "space")
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, target: str = "heads") -> None:
    """Bring the database schema up to ``target`` (default: every branch's head)."""
    command.upgrade(alembic_config(engine), target)


def downgrade(engine: Engine, target: str = "base") -> None:
    """Take the schema down to ``target``."""
    command.downgrade(alembic_config(engine), target)


def current_heads(engine: Engine) -> set[str]:
    """The revisions the database is at."""
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def expected_heads(engine: Engine) -> set[str]:
    """The head revision of every branch in the code."""
    return set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())


def is_up_to_date(engine: Engine) -> bool:
    """True when the database is at every branch's head."""
    return current_heads(engine) == expected_heads(engine)
