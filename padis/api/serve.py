"""The app factory uvicorn imports in each worker process."""

from __future__ import annotations

import os

from fastapi import FastAPI

from padis.api.app import create_app


def app_factory() -> FastAPI:
    """The app for ``padis serve`` (webhook worker on unless PADIS_SERVE_WEBHOOKS=0)."""
    return create_app(webhooks=os.environ.get("PADIS_SERVE_WEBHOOKS", "1") == "1")
