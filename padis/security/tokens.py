"""Access tokens: JWT signed with HS256 under the node's secret key.

Design: one symmetric key per node (``PADIS_SECRET_KEY``, or a random key created once in
``<home>/secret.key`` with mode 0600) signs every token; tokens carry ``kind`` (client|staff),
``sub``, ``exp`` and, for staff, role/division/clearance. HS256 keeps verification at a few
microseconds per request; nodes do not verify each other's tokens, so no public key is needed.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
import uuid
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import Any

import jwt

from padis.errors import PadisError
from padis.settings import get_settings

ALGORITHM = "HS256"
CLIENT_TTL_S = 15 * 60
STAFF_TTL_S = 8 * 60 * 60


class TokenError(PadisError):
    """A token that is missing, expired, forged or malformed."""

    exit_code = 3

    def __init__(self, reason: str, why: str = "") -> None:
        self.reason = reason
        super().__init__("invalid token", where="authentication", why=why or reason)


@lru_cache(maxsize=4)
def _key_for(home: str, configured: str) -> bytes:
    if configured:
        return configured.encode()
    path = Path(home) / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
        except FileExistsError:
            pass  # another worker created it first
    return path.read_text().strip().encode()


def signing_key() -> bytes:
    """The node's token-signing key."""
    s = get_settings()
    return _key_for(str(s.home), s.secret_key)


def issue_token(kind: str, subject: str, *, ttl_s: int | None = None, **claims: Any) -> tuple[str, int]:
    """A signed token for ``subject``; returns (token, lifetime in seconds)."""
    ttl = ttl_s if ttl_s is not None else (CLIENT_TTL_S if kind == "client" else STAFF_TTL_S)
    now = int(time.time())
    body = {"kind": kind, "sub": subject, "iat": now, "exp": now + ttl, "jti": uuid.uuid4().hex, **claims}
    return jwt.encode(body, signing_key(), algorithm=ALGORITHM), ttl


_VERIFIED: OrderedDict[tuple[bytes, str], dict[str, Any]] = OrderedDict()
_VERIFIED_MAX = 10_000


def decode_token(token: str) -> dict[str, Any]:
    """The claims of a valid token; raises ``TokenError`` (expired / invalid).

    A token whose signature was verified before is remembered (bounded LRU keyed by key and token),
    so a client reusing its token skips the HMAC; its expiry is still checked on every call.
    """
    cache_key = (signing_key(), token)
    claims = _VERIFIED.get(cache_key)
    if claims is not None:
        if claims["exp"] <= time.time():
            _VERIFIED.pop(cache_key, None)
            raise TokenError("token_expired", "the token has expired; request a new one")
        return claims
    claims = _verify(token)
    _VERIFIED[cache_key] = claims
    if len(_VERIFIED) > _VERIFIED_MAX:
        with contextlib.suppress(KeyError):  # another thread trimmed it first
            _VERIFIED.popitem(last=False)
    return claims


def _verify(token: str) -> dict[str, Any]:
    try:
        claims = jwt.decode(token, signing_key(), algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})
    except jwt.ExpiredSignatureError as exc:
        raise TokenError("token_expired", "the token has expired; request a new one") from exc
    except jwt.PyJWTError as exc:
        raise TokenError("token_invalid", "signature or format not valid") from exc
    if claims.get("kind") not in ("client", "staff"):
        raise TokenError("token_invalid", "unknown token kind")
    return claims
