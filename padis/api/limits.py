"""A pure ASGI middleware that refuses request bodies over the upload limit with 413."""

from __future__ import annotations

import json
from typing import Any

DEFAULT_MAX_BODY = 50 * 1024 * 1024


class BodyLimit:
    """Reject bodies larger than ``max_bytes`` (by Content-Length, or while streaming)."""

    def __init__(self, app: Any, max_bytes: int = DEFAULT_MAX_BODY) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:  # type: ignore[type-arg]
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    size = int(value)
                except ValueError:
                    size = self.max_bytes + 1
                if size > self.max_bytes:
                    await _too_large(send, self.max_bytes)
                    return
        seen = 0
        sent_response = False

        async def limited_receive() -> dict:  # type: ignore[type-arg]
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracking_send(message: dict) -> None:  # type: ignore[type-arg]
            nonlocal sent_response
            if message["type"] == "http.response.start":
                sent_response = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not sent_response:
                await _too_large(send, self.max_bytes)


class _TooLarge(Exception):
    pass


async def _too_large(send: Any, limit: int) -> None:
    body = json.dumps(
        {"error": "payload_too_large", "reason": "upload_limit", "detail": f"request body over {limit} bytes"}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
