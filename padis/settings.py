"""All settings, read from the environment in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path


def _home() -> Path:
    return Path(os.environ.get("PADIS_HOME", ".padis")).expanduser()


@dataclass(frozen=True)
class Settings:
    """Process-wide configuration; every field has an environment variable."""

    home: Path = field(default_factory=_home)
    database_url: str = ""
    node_code: str = field(default_factory=lambda: os.environ.get("PADIS_NODE", "000000"))
    secret_key: str = field(default_factory=lambda: os.environ.get("PADIS_SECRET_KEY", ""))
    log_level: str = field(default_factory=lambda: os.environ.get("PADIS_LOG_LEVEL", "INFO"))
    # Shared rate-limit buckets (redis://host:6379/0); empty: per server worker, in process.
    rate_limit_url: str = field(default_factory=lambda: os.environ.get("PADIS_RATE_LIMIT_URL", ""))

    def __post_init__(self) -> None:
        if not self.database_url:
            url = os.environ.get("PADIS_DATABASE_URL") or f"sqlite:///{self.home / 'padis.db'}"
            object.__setattr__(self, "database_url", url)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process (cached; tests call ``get_settings.cache_clear()``)."""
    return Settings()
