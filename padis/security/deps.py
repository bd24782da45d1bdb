"""FastAPI dependencies: authenticate, rate-limit and audit callers; guard staff HTML pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request

from padis.exchange.agreements import PRINCIPALS
from padis.security.audit import make_entry
from padis.security.policy import Grant, PolicyDenied, Principal, authorize
from padis.security.tokens import TokenError, decode_token

SESSION_COOKIE = "padis_session"
PURPOSE_HEADER = "X-Purpose"


class RateLimited(Exception):
    """Too many requests from one client; ``retry_after`` seconds to wait."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__("rate limit exceeded")


def _bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization")
    if auth and auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return None


def principal_from_token(request: Request, token: str) -> Principal:
    """The principal a token names, still enabled (raises ``TokenError``)."""
    claims = decode_token(token)
    engine = request.app.state.engine
    if claims["kind"] == "client":
        principal = PRINCIPALS.client(engine, str(claims["sub"]))
    else:
        principal = PRINCIPALS.staff(engine, str(claims["sub"]))
    if principal is None:
        raise TokenError("account_disabled", "the account is unknown or disabled")
    return principal


async def caller(request: Request) -> Principal:
    """Authenticate the bearer token and apply the client's rate limit.

    ``async`` on purpose: it is a few microseconds of CPU (the principal is cached), cheaper inline
    than a hop to the thread pool on every request.
    """
    token = _bearer(request)
    if token is None:
        raise TokenError("token_missing", "send Authorization: Bearer <token>")
    principal = principal_from_token(request, token)
    request.state.principal = principal
    wait = request.app.state.limiter.allow(principal.kind + ":" + principal.name, principal.rate_limit)
    if wait > 0:
        raise RateLimited(wait)
    return principal


def purpose_of(request: Request) -> str | None:
    """The purpose (legal basis) the caller states in the ``X-Purpose`` header."""
    value = request.headers.get(PURPOSE_HEADER)
    return value.strip()[:128] if value else None


def grant_for(
    request: Request,
    principal: Principal,
    service: str,
    *,
    fields: list[str] | None = None,
    division: str | None = None,
) -> Grant:
    """The policy decision for this request (raises ``PolicyDenied``)."""
    request.state.action = service
    return authorize(principal, service, purpose=purpose_of(request), fields=fields, division=division)


def require_client(service: str) -> Callable[..., Grant]:
    """Dependency: an authenticated caller allowed ``service`` (agreement or role) → its grant."""

    def dependency(request: Request, principal: Principal = Depends(caller)) -> Grant:
        return grant_for(request, principal, service)

    return dependency


def audit(
    request: Request,
    action: str,
    summary: dict[str, Any],
    person_ids: list[int] | None,
    result: str,
    *,
    purpose: str | None = None,
) -> None:
    """Queue an audit entry for this request (caller from request state; purpose: given, else X-Purpose)."""
    principal: Principal | None = getattr(request.state, "principal", None)
    request.app.state.audit.record(
        make_entry(
            actor=principal.kind if principal else "anonymous",
            client=principal.client if principal else None,
            user=principal.user if principal else None,
            purpose=purpose or purpose_of(request),
            action=action,
            request=summary,
            person_ids=person_ids,
            result=result,
        )
    )


def staff_principal(request: Request) -> Principal | None:
    """The staff user of the session cookie (or bearer token), or None."""
    token = request.cookies.get(SESSION_COOKIE) or _bearer(request)
    if not token:
        return None
    try:
        principal = principal_from_token(request, token)
    except (TokenError, PolicyDenied):
        return None
    return principal if principal.kind == "staff" else None


# Why a data steward opens the workbench pages: the purpose of their audit entries.
STEWARDSHIP = "register_stewardship"


def require_htmx(request: Request) -> None:
    """403 unless htmx sent the request: a cross-site form cannot set the header (a guard beside SameSite)."""
    if request.headers.get("HX-Request") != "true":
        raise HTTPException(status_code=403, detail="send this from the workbench page")


def require_staff(*roles: str) -> Callable[..., Principal]:
    """Dependency for HTML pages: a logged-in staff user (of one of ``roles`` if given), else to /login."""

    def dependency(request: Request) -> Principal:
        principal = staff_principal(request)
        if principal is None:
            target = quote(str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""))
            raise HTTPException(status_code=303, headers={"Location": f"/login?next={target}"})
        if roles and principal.role not in roles and principal.role != "administrator":
            raise HTTPException(status_code=403, detail="role not allowed")
        request.state.principal = principal
        return principal

    return dependency
