"""The FastAPI application: versioned API under /api/v1, staff login, and the domains' HTML views."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

import padis
from padis.api import (
    errors,
    routes_audit,
    routes_auth,
    routes_collect,
    routes_exchange,
    routes_persons,
    routes_verify,
)
from padis.api.limits import DEFAULT_MAX_BODY, BodyLimit
from padis.api.login import router as login_router
from padis.api.workers import DeliveryWorker
from padis.domains import domain_modules
from padis.security.audit import AuditLog
from padis.security.ratelimit import make_limiter
from padis.settings import get_settings
from padis.store.engine import get_engine, make_engine

API_PREFIX = "/api/v1"
PACKAGE_DIR = Path(padis.__file__).parent


def _max_upload() -> int:
    mb = os.environ.get("PADIS_MAX_UPLOAD_MB")
    return int(float(mb) * 1024 * 1024) if mb else DEFAULT_MAX_BODY


def _include_views(app: FastAPI) -> list[str]:
    found = []
    for _domain, module in domain_modules("views"):
        router = getattr(module, "router", None)
        if isinstance(router, APIRouter):
            app.include_router(router)
            found.append(module.__name__)
    return found


def create_app(
    database_url: str | None = None,
    *,
    audit_sync: bool = False,
    max_upload_bytes: int | None = None,
    webhooks: bool = False,
) -> FastAPI:
    """Build the app on ``database_url`` (default: settings); ``audit_sync``: write audit at once."""
    engine = make_engine(database_url) if database_url else get_engine()
    audit_log = AuditLog(engine, sync=audit_sync)
    worker = DeliveryWorker(engine) if webhooks else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        audit_log.start()
        if worker is not None:
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            audit_log.stop()

    app = FastAPI(
        title="padis exchange API",
        version="1",
        lifespan=lifespan,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        description="人口信息共享交换服务：查询、批量核验、比对、补充、更新与订阅。"
        " Every call needs a bearer token and, for person data, an X-Purpose header.",
    )
    app.state.engine = engine
    app.state.audit = audit_log
    app.state.limiter = make_limiter(get_settings().rate_limit_url)
    app.state.max_upload_bytes = max_upload_bytes or _max_upload()
    errors.install(app)
    api = APIRouter(prefix=API_PREFIX)
    for module in (routes_auth, routes_persons, routes_verify, routes_exchange, routes_collect, routes_audit):
        api.include_router(module.router)

    @api.get("/health", tags=["meta"])
    def health() -> dict[str, str]:
        """Liveness check."""
        return {"status": "ok"}

    app.include_router(api)
    app.include_router(login_router)
    app.state.views = _include_views(app)
    static = PACKAGE_DIR / "web" / "static"
    if static.is_dir():
        app.mount("/static", StaticFiles(directory=static), name="static")
    app.add_middleware(BodyLimit, max_bytes=app.state.max_upload_bytes)
    return app
