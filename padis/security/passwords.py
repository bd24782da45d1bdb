"""Password and client-secret hashing with Argon2 (pwdlib)."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher


def _hasher() -> PasswordHash:
    # PADIS_ARGON2_MEMORY_KIB / PADIS_ARGON2_TIME_COST tune the cost (tests use a cheap setting);
    # unset, pwdlib's recommended Argon2id parameters apply.
    return _hasher_for(os.environ.get("PADIS_ARGON2_MEMORY_KIB"), os.environ.get("PADIS_ARGON2_TIME_COST"))


@lru_cache(maxsize=4)
def _hasher_for(memory_kib: str | None, time_cost: str | None) -> PasswordHash:
    kwargs = {}
    if memory_kib:
        kwargs["memory_cost"] = int(memory_kib)
    if time_cost:
        kwargs["time_cost"] = int(time_cost)
    return PasswordHash((Argon2Hasher(**kwargs),))


def hash_secret(secret: str) -> str:
    """Argon2id hash of a password or client secret."""
    return _hasher().hash(secret)


def verify_secret(secret: str, hashed: str) -> bool:
    """Whether ``secret`` matches ``hashed`` (constant-time inside Argon2)."""
    try:
        return bool(_hasher().verify(secret, hashed))
    except Exception:  # noqa: BLE001 - a malformed stored hash never authenticates anyone
        return False


def new_secret() -> str:
    """A fresh random client secret (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)
