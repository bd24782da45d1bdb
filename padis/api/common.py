"""Shared pieces of the routers and views: documented error answers, field lists, temporary downloads."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from padis.api.schemas import ErrorBody
from padis.errors import InputError

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "bad input"},
    401: {"model": ErrorBody, "description": "missing, expired or forged token"},
    403: {"model": ErrorBody, "description": "refused by the agreement or role (reason code)"},
    404: {"model": ErrorBody, "description": "not found"},
    413: {"model": ErrorBody, "description": "upload too large"},
    422: {"model": ErrorBody, "description": "request does not match the schema"},
    429: {"model": ErrorBody, "description": "rate limit exceeded"},
}


def parse_fields(value: str | None) -> list[str] | None:
    """``a,b,c`` → ["a", "b", "c"] (None when not given)."""
    if value is None or not value.strip():
        return None
    fields = [f.strip() for f in value.split(",") if f.strip()]
    if len(fields) > 50:
        raise InputError("too many fields", where="fields")
    return fields


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def temporary_download(path: Path, media_type: str = XLSX) -> FileResponse:
    """Send ``path`` as a download, then remove its (temporary) folder."""
    return FileResponse(
        path,
        media_type=media_type,
        filename=path.name,
        background=BackgroundTask(shutil.rmtree, path.parent, ignore_errors=True),
    )
