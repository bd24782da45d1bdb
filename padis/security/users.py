"""Staff users: create, list, change password, log in."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, text

from padis.errors import InputError
from padis.exchange.sources import LEVELS, now_iso
from padis.security.passwords import hash_secret, verify_secret
from padis.security.policy import Principal
from padis.security.roles import ROLES, default_clearance

MIN_PASSWORD = 8


@dataclass(frozen=True)
class StaffInfo:
    """A staff user without the password hash."""

    username: str
    role: str
    division: str | None
    clearance: str
    disabled: bool


def _check_division(division: str | None) -> None:
    if division is None:
        return
    if not (division.isdigit() and len(division) in (6, 9, 12)):
        raise InputError("division must be a 6-, 9- or 12-digit code", where="division", why=division[:20])


def add_user(
    engine: Engine,
    username: str,
    password: str,
    role: str,
    *,
    division: str | None = None,
    clearance: str | None = None,
) -> StaffInfo:
    """Create a staff user (Argon2 password hash)."""
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}", where="role", why="one of " + ", ".join(ROLES))
    if len(password) < MIN_PASSWORD:
        raise InputError("password too short", where="password", why=f"at least {MIN_PASSWORD} characters")
    if not username or len(username) > 64:
        raise InputError("user name must be 1-64 characters", where="username")
    clearance = clearance or default_clearance(role)
    if clearance not in LEVELS:
        raise InputError(f"unknown clearance {clearance!r}", where="clearance", why=", ".join(LEVELS))
    _check_division(division)
    with engine.begin() as conn:
        if conn.execute(text("SELECT 1 FROM staff_user WHERE username = :u"), {"u": username}).first():
            raise InputError(f"user {username!r} exists already", where="users add")
        conn.execute(
            text(
                "INSERT INTO staff_user (username, password_hash, role, division, clearance, disabled,"
                " created_at) VALUES (:u, :h, :r, :d, :c, :dis, :at)"
            ),
            {
                "u": username,
                "h": hash_secret(password),
                "r": role,
                "d": division,
                "c": clearance,
                "dis": False,
                "at": now_iso(),
            },
        )
    return StaffInfo(username, role, division, clearance, False)


def list_users(engine: Engine) -> list[StaffInfo]:
    """Every staff user."""
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT username, role, division, clearance, disabled FROM staff_user ORDER BY username")
        ).all()
    return [StaffInfo(r[0], r[1], r[2], r[3], bool(r[4])) for r in rows]


def set_password(engine: Engine, username: str, password: str) -> None:
    """Replace a user's password."""
    if len(password) < MIN_PASSWORD:
        raise InputError("password too short", where="password", why=f"at least {MIN_PASSWORD} characters")
    with engine.begin() as conn:
        n = conn.execute(
            text("UPDATE staff_user SET password_hash = :h WHERE username = :u"),
            {"h": hash_secret(password), "u": username},
        ).rowcount
    if not n:
        raise InputError(f"no user {username!r}", where="users passwd")


def authenticate_user(engine: Engine, username: str, password: str) -> Principal | None:
    """The principal for a correct user name and password, else None."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT username, password_hash, role, division, clearance, disabled FROM staff_user"
                " WHERE username = :u"
            ),
            {"u": username},
        ).first()
    if row is None or row[5] or not verify_secret(password, row[1]):
        return None
    return Principal(kind="staff", name=row[0], role=row[2], division=row[3], clearance=row[4])


def load_staff(engine: Engine, username: str) -> Principal | None:
    """The current principal of a staff user (None when missing or disabled)."""
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT username, role, division, clearance, disabled FROM staff_user WHERE username = :u"),
            {"u": username},
        ).first()
    if row is None or row[4]:
        return None
    return Principal(kind="staff", name=row[0], role=row[1], division=row[2], clearance=row[3])
