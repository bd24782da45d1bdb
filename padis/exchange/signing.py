"""Signed webhook deliveries: receivers check that a POST came from this node and was not altered.

Each webhook subscription has its own secret, derived from the node's secret key and the subscription
id (HMAC-SHA256), so nothing more is stored and one subscriber's secret reveals nothing about another's;
it is returned once, when the subscription is created. A delivery carries

    X-Padis-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>

(the scheme Stripe and others use): the timestamp inside the signed text bounds replays, and receivers
compare in constant time. :func:`verify` is the receiver side, for Python integrators and our tests.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from padis.security.tokens import signing_key

SIGNATURE_HEADER = "X-Padis-Signature"
TOLERANCE_S = 300


def webhook_secret(subscription_id: int) -> str:
    """The secret a subscription's receiver verifies deliveries with (hex, 64 characters)."""
    message = f"padis-webhook:{int(subscription_id)}".encode()
    return hmac.new(signing_key(), message, hashlib.sha256).hexdigest()


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, *, now: float | None = None) -> str:
    """The ``X-Padis-Signature`` value for ``body`` sent now."""
    t = int(now if now is not None else time.time())
    return f"t={t},v1={_mac(secret, t, body)}"


def verify(
    secret: str, header: str | None, body: bytes, *, tolerance_s: int = TOLERANCE_S, now: float | None = None
) -> bool:
    """True when ``header`` signs exactly ``body`` with ``secret`` and is at most ``tolerance_s`` old."""
    if not header:
        return False
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        t = int(parts.get("t", ""))
    except ValueError:
        return False
    current = now if now is not None else time.time()
    if abs(current - t) > tolerance_s:
        return False
    return hmac.compare_digest(parts.get("v1", ""), _mac(secret, t, body))
