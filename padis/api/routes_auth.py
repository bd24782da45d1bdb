"""``/api/v1/auth``: client credentials and staff login → bearer tokens."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request

from padis.api.common import ERRORS
from padis.api.schemas import NO_CONTROL, LoginBody, TokenBody
from padis.exchange.members import check_client_secret
from padis.security.deps import audit
from padis.security.tokens import TokenError, issue_token
from padis.security.users import authenticate_user

router = APIRouter(prefix="/auth", tags=["auth"], responses=ERRORS)


@router.post("/token", response_model=TokenBody)
def client_token(
    request: Request,
    grant_type: str = Form("client_credentials", max_length=32),
    client_id: str = Form(..., min_length=1, max_length=64, pattern=NO_CONTROL),
    client_secret: str = Form(..., min_length=1, max_length=256),
) -> TokenBody:
    """OAuth2 client-credentials: a member's id and secret → a short-lived token."""
    request.state.action = "auth_token"
    if grant_type != "client_credentials" or not check_client_secret(
        request.app.state.engine, client_id, client_secret
    ):
        audit(request, "auth_token", {"client_id": client_id[:64]}, None, "denied:bad_credentials")
        raise TokenError("bad_credentials", "unknown client, wrong secret or disabled member")
    token, ttl = issue_token("client", client_id)
    audit(request, "auth_token", {"client_id": client_id}, None, "ok")
    return TokenBody(access_token=token, expires_in=ttl)


@router.post("/login", response_model=TokenBody)
def staff_login(request: Request, body: LoginBody) -> TokenBody:
    """Staff password login (Argon2) → a token carrying role, division scope and clearance."""
    request.state.action = "auth_login"
    principal = authenticate_user(request.app.state.engine, body.username, body.password)
    if principal is None:
        audit(request, "auth_login", {"username": body.username[:64]}, None, "denied:bad_credentials")
        raise TokenError("bad_credentials", "wrong user name or password")
    request.state.principal = principal
    token, ttl = issue_token(
        "staff", principal.name, role=principal.role, div=principal.division, clr=principal.clearance
    )
    audit(request, "auth_login", {"username": principal.name}, None, "ok")
    return TokenBody(access_token=token, expires_in=ttl)
