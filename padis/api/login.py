"""Staff login page for the HTML views: a form at /login that sets a session cookie."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

import padis
from padis.security.deps import SESSION_COOKIE, audit, staff_principal
from padis.security.tokens import STAFF_TTL_S, issue_token
from padis.security.users import authenticate_user

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(padis.__file__).parent / "web" / "templates"))


def _safe_next(target: str | None) -> str:
    # Only local paths: an absolute URL here would be an open redirect.
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    """The login form."""
    return templates.TemplateResponse(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login")
def login_submit(
    request: Request,
    username: str = Form(..., max_length=64),
    password: str = Form(..., max_length=256),
    next: str = Form("/"),
):  # type: ignore[no-untyped-def]
    """Check the password; on success set the session cookie and go to ``next``."""
    ok_text = not any(ord(ch) < 32 for ch in username + password)
    principal = authenticate_user(request.app.state.engine, username, password) if ok_text else None
    if principal is None:
        audit(request, "login", {"username": username[:64]}, None, "denied:bad_credentials")
        return templates.TemplateResponse(
            request, "login.html", {"next": _safe_next(next), "error": "用户名或密码错误"}, status_code=401
        )
    request.state.principal = principal
    audit(request, "login", {"username": principal.name}, None, "ok")
    token, _ = issue_token(
        "staff", principal.name, role=principal.role, div=principal.division, clr=principal.clearance
    )
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=STAFF_TTL_S,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.get("/logout")
def logout() -> RedirectResponse:
    """Clear the session cookie."""
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/")
def home(request: Request) -> RedirectResponse:
    """The start page: the workbench for data stewards, the dashboard for other staff, else the login."""
    principal = staff_principal(request)
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    if principal.role in ("data_steward", "administrator"):
        return RedirectResponse("/register/conflicts", status_code=303)
    return RedirectResponse("/stats", status_code=303)
