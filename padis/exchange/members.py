"""Member agencies: registered API clients with Argon2-hashed secrets."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Engine, text

from padis.errors import InputError
from padis.exchange.sources import now_iso
from padis.security.passwords import hash_secret, new_secret, verify_secret

AGENCIES = {
    "public_security": "公安",
    "health": "卫生健康",
    "civil_affairs": "民政",
    "education": "教育",
    "hrss": "人力资源和社会保障",
    "pfp": "人口计生",
    "statistics": "统计",
    "node": "外省节点",
}
_CLIENT_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,63}$")


@dataclass(frozen=True)
class MemberInfo:
    """A member without its secret hash."""

    client_id: str
    agency: str
    name: str
    rate_limit: int | None
    disabled: bool
    created_at: str


def add_member(
    engine: Engine, client_id: str, agency: str, name: str = "", *, rate_limit: int | None = None
) -> tuple[MemberInfo, str]:
    """Register a member; returns it and its clear secret (shown once, stored only as a hash)."""
    if not _CLIENT_ID.match(client_id):
        raise InputError("client id must be 2-64 of a-z 0-9 _ . -", where="members add", why=client_id[:64])
    if agency not in AGENCIES:
        raise InputError(
            f"unknown agency {agency!r}", where="members add", why="one of " + ", ".join(AGENCIES)
        )
    if rate_limit is not None and rate_limit <= 0:
        raise InputError("rate limit must be positive", where="members add")
    secret = new_secret()
    at = now_iso()
    with engine.begin() as conn:
        if conn.execute(text("SELECT 1 FROM member WHERE client_id = :c"), {"c": client_id}).first():
            raise InputError(f"member {client_id!r} exists already", where="members add")
        conn.execute(
            text(
                "INSERT INTO member (client_id, agency, name, secret_hash, rate_limit, disabled, created_at)"
                " VALUES (:c, :a, :n, :h, :r, :d, :at)"
            ),
            {
                "c": client_id,
                "a": agency,
                "n": name or AGENCIES[agency],
                "h": hash_secret(secret),
                "r": rate_limit,
                "d": False,
                "at": at,
            },
        )
    return MemberInfo(client_id, agency, name or AGENCIES[agency], rate_limit, False, at), secret


def list_members(engine: Engine) -> list[MemberInfo]:
    """Every member."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT client_id, agency, name, rate_limit, disabled, created_at FROM member"
                " ORDER BY client_id"
            )
        ).all()
    return [MemberInfo(r[0], r[1], r[2], r[3], bool(r[4]), r[5]) for r in rows]


def get_member(engine: Engine, client_id: str) -> MemberInfo | None:
    """One member, or None."""
    with engine.connect() as conn:
        r = conn.execute(
            text(
                "SELECT client_id, agency, name, rate_limit, disabled, created_at FROM member"
                " WHERE client_id = :c"
            ),
            {"c": client_id},
        ).first()
    return MemberInfo(r[0], r[1], r[2], r[3], bool(r[4]), r[5]) if r else None


def set_disabled(engine: Engine, client_id: str, disabled: bool = True) -> None:
    """Disable (or re-enable) a member: its tokens stop working at the next request."""
    with engine.begin() as conn:
        n = conn.execute(
            text("UPDATE member SET disabled = :d WHERE client_id = :c"), {"d": disabled, "c": client_id}
        ).rowcount
    if not n:
        raise InputError(f"no member {client_id!r}", where="members")


def rotate_secret(engine: Engine, client_id: str) -> str:
    """Give a member a new secret (the old one stops working); returns the clear new secret."""
    secret = new_secret()
    with engine.begin() as conn:
        n = conn.execute(
            text("UPDATE member SET secret_hash = :h, secret_rotated_at = :at WHERE client_id = :c"),
            {"h": hash_secret(secret), "at": now_iso(), "c": client_id},
        ).rowcount
    if not n:
        raise InputError(f"no member {client_id!r}", where="members rotate-secret")
    return secret


def check_client_secret(engine: Engine, client_id: str, secret: str) -> bool:
    """Whether ``secret`` is the current secret of an enabled member."""
    with engine.connect() as conn:
        r = conn.execute(
            text("SELECT secret_hash, disabled FROM member WHERE client_id = :c"), {"c": client_id}
        ).first()
    return bool(r is not None and not r[1] and verify_secret(secret, r[0]))
