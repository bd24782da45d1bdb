"""Exception handlers: every refusal is a clear 4xx with an ``ErrorBody``, and is audited."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from padis.api.routes_verify import UploadTooLarge
from padis.errors import InputError, PadisError
from padis.security.deps import RateLimited, audit
from padis.security.policy import PolicyDenied
from padis.security.tokens import TokenError


def _body(
    status: int,
    error: str,
    reason: str | None,
    detail: str,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        {"error": error, "reason": reason, "detail": detail}, status_code=status, headers=headers
    )


def _action(request: Request) -> str:
    return (
        getattr(request.state, "action", None) or request.scope.get("route").name
        if request.scope.get("route") is not None
        else request.url.path[:64]
    )


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(PolicyDenied)
    async def denied(request: Request, exc: PolicyDenied) -> JSONResponse:
        audit(request, _action(request), {"path": request.url.path}, None, f"denied:{exc.reason}")
        return _body(403, "forbidden", exc.reason, exc.line())

    @app.exception_handler(TokenError)
    async def token(request: Request, exc: TokenError) -> JSONResponse:
        audit(request, _action(request), {"path": request.url.path}, None, f"unauthenticated:{exc.reason}")
        return _body(401, "unauthorized", exc.reason, exc.line(), {"WWW-Authenticate": "Bearer"})

    @app.exception_handler(RateLimited)
    async def limited(request: Request, exc: RateLimited) -> JSONResponse:
        audit(request, _action(request), {"path": request.url.path}, None, "rate_limited")
        return _body(
            429,
            "too_many_requests",
            "rate_limit",
            "rate limit exceeded",
            {"Retry-After": str(max(1, round(exc.retry_after + 0.5)))},
        )

    @app.exception_handler(UploadTooLarge)
    async def too_large(request: Request, exc: UploadTooLarge) -> JSONResponse:
        audit(request, _action(request), {"path": request.url.path}, None, "payload_too_large")
        return _body(413, "payload_too_large", "upload_limit", exc.line())

    @app.exception_handler(InputError)
    async def bad_input(request: Request, exc: InputError) -> JSONResponse:
        audit(request, _action(request), {"path": request.url.path}, None, "bad_request")
        return _body(400, "bad_request", None, exc.line())

    @app.exception_handler(PadisError)
    async def other(request: Request, exc: PadisError) -> JSONResponse:
        audit(request, _action(request), {"path": request.url.path}, None, "bad_request")
        return _body(400, "bad_request", None, exc.line())

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        where = "; ".join(
            ".".join(str(p) for p in e.get("loc", ())) + ": " + str(e.get("msg", ""))
            for e in exc.errors()[:5]
        )
        audit(request, _action(request), {"path": request.url.path}, None, "invalid_request")
        return _body(422, "invalid_request", None, where[:500])

    @app.exception_handler(StarletteHTTPException)
    async def http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code in (301, 302, 303, 307):
            return JSONResponse({}, status_code=exc.status_code, headers=exc.headers)
        detail = exc.detail if isinstance(exc.detail, str) else "error"
        return _body(exc.status_code, "http_error", None, detail, exc.headers)
