"""The data steward's workbench, linkage page: clerical review of uncertain record pairs in the browser
(same person / not the same person, with htmx) and applying the decisions to the register (relink)."""

from __future__ import annotations

import json
from functools import cache, partial
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi import Path as FPath
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import text

import padis
from padis.errors import InputError
from padis.exchange.members import AGENCIES
from padis.exchange.sources import mask_value, scope_prefix
from padis.linkage import review
from padis.linkage.incremental import LinkState
from padis.linkage.resolver import SOURCE, relink_register
from padis.register.identity import linkage_folder
from padis.security.deps import STEWARDSHIP, audit, require_htmx, require_staff
from padis.security.policy import Principal
from padis.standards.dictionary import get_dictionary

TEMPLATES = Jinja2Templates(directory=str(Path(padis.__file__).parent / "web" / "templates"))
router = APIRouter(prefix="/register", include_in_schema=False)
steward = require_staff("data_steward")
_audit = partial(audit, purpose=STEWARDSHIP)
PAGE_ROWS = 100
SHOWN = ("id_number", "name", "sex", "birth_date", "registered_division", "residence_division")
DECISIONS = {"accepted": "同一人", "rejected": "不是同一人"}
SEX = {"1": "男", "2": "女", "9": "未说明"}
NOT_LINKED = "登记库尚未经概率关联，复核决定暂无法应用：请管理员先运行 padis link register。"


def _shown(field: str, value: Any, clearance: str) -> str:
    """A record's value as this user may see it (masked by clearance; sex with its label)."""
    if value is None:
        return "—"
    shown = str(mask_value(field, str(value)[:10] if field == "birth_date" else str(value), clearance))
    return f"{shown} {SEX.get(shown, '')}".strip() if field == "sex" else shown


@cache
def _comparison_labels() -> dict[str, str]:
    """Each comparison's Chinese label: the dictionary's field label (``name`` → 姓名)."""
    return {"division": "行政区划", **{f.name: f.label for f in get_dictionary().record("person").fields}}


def _record_label(record_type: str) -> str:
    """The dictionary's Chinese label of a record type (``contraception`` → 避孕节育)."""
    try:
        return get_dictionary().record(record_type).label
    except InputError:
        return record_type


def _records(conn: Any, ids: list[int]) -> dict[int, dict[str, Any]]:
    """The register's source records ``ids`` with their person's household-registration division."""
    if not ids:
        return {}
    cols = ", ".join(f"s.{c}" for c in (*SHOWN, "agency", "record_type", "person_id"))
    marks = ", ".join(f":i{n}" for n in range(len(ids)))
    rows = conn.execute(
        text(
            f"SELECT s.record_id, {cols}, p.registered_division AS person_division FROM source_record s "
            f"LEFT JOIN person p ON p.person_id = s.person_id WHERE s.record_id IN ({marks})"
        ),
        {f"i{n}": i for n, i in enumerate(ids)},
    ).mappings()
    return {int(r["record_id"]): dict(r) for r in rows}


def _pairs(request: Request, principal: Principal, review_id: int | None = None) -> list[dict[str, Any]]:
    """Register pairs (pending, or the one asked for) with either record in the user's divisions."""
    where = "status = 'pending'" if review_id is None else "review_id = :rid"
    with request.app.state.engine.connect() as conn:
        queue = [
            dict(r)
            for r in conn.execute(
                text(
                    "SELECT review_id, record_id_l, record_id_r, match_probability, detail, status, "
                    f"decided_by FROM linkage_review WHERE {where} AND source_l = :src AND source_r = :src "
                    "ORDER BY match_probability DESC, review_id LIMIT :limit"
                ),
                {"src": SOURCE, "rid": review_id, "limit": PAGE_ROWS * 10},
            ).mappings()
        ]
        # record ids are text in the queue (it serves file sources too); the register's are integers
        ids = sorted({int(q[k]) for q in queue for k in ("record_id_l", "record_id_r")})
        records = _records(conn, ids)
    prefix = scope_prefix(principal.division) if principal.division else ""
    rows = []
    for q in queue:
        left, right = records.get(int(q["record_id_l"])), records.get(int(q["record_id_r"]))
        if left is None or right is None:
            continue
        if prefix and not any(str(x["person_division"] or "").startswith(prefix) for x in (left, right)):
            continue
        rows.append(_row(q, left, right, principal.clearance))
        if len(rows) == PAGE_ROWS:
            break
    return rows


def _row(q: dict[str, Any], left: dict[str, Any], right: dict[str, Any], clearance: str) -> dict[str, Any]:
    """One pair ready to show: both records masked, the evidence, whether they are one person now."""
    sides = [
        {
            **{c: _shown(c, x[c], clearance) for c in SHOWN},
            "agency": AGENCIES.get(x["agency"], x["agency"]),
            "record_type": _record_label(x["record_type"]),
            "person_id": x["person_id"],
        }
        for x in (left, right)
    ]
    detail = json.loads(q["detail"] or "{}")
    return {
        **q,
        "l": sides[0],
        "r": sides[1],
        "persons": [x["person_id"] for x in (left, right) if x["person_id"] is not None],
        "evidence": [
            (_comparison_labels().get(name, name), d.get("level") or "—", d.get("weight"))
            for name, d in detail.items()
        ],
        "same_now": left["person_id"] is not None and left["person_id"] == right["person_id"],
        "decision": DECISIONS.get(q["status"], ""),
    }


@router.get("/review", response_class=HTMLResponse)
def review_page(request: Request, principal: Principal = Depends(steward)) -> HTMLResponse:
    """Uncertain pairs of the register's records, most probable first, with a decision per pair."""
    rows = _pairs(request, principal)
    _audit(request, "linkage_review_list", {"rows": len(rows)}, None, "ok")
    return TEMPLATES.TemplateResponse(
        request, "register/review.html", {"rows": rows, "user": principal, "page_rows": PAGE_ROWS}
    )


# Before /review/{review_id}: the first matching route wins.
@router.post("/review/relink", response_class=HTMLResponse)
def relink(request: Request, principal: Principal = Depends(steward)) -> HTMLResponse:
    """Apply every decision taken to the register (``padis link relink``); answers the summary."""
    require_htmx(request)
    stats: dict[str, int] = {}
    if not LinkState.exists(linkage_folder()):
        error: str | None = NOT_LINKED
    else:
        try:
            stats, error = relink_register(request.app.state.engine), None
        except InputError as exc:
            error = exc.line()
    _audit(request, "linkage_relink", stats, None, "ok" if error is None else "error")
    return TEMPLATES.TemplateResponse(request, "register/_relink_result.html", {"s": stats, "error": error})


@router.post("/review/{review_id}", response_class=HTMLResponse)
def decide(
    request: Request,
    review_id: int = FPath(..., ge=1, le=2**62),
    action: str = Form(..., max_length=10),
    principal: Principal = Depends(steward),
) -> HTMLResponse:
    """Decide one pair (accept: the same person; reject: never link); answers the row as it now stands."""
    require_htmx(request)
    if action not in ("accept", "reject"):
        raise HTTPException(status_code=400, detail="action must be accept or reject")
    found = _pairs(request, principal, review_id)
    if not found:
        raise HTTPException(status_code=404, detail="no such pair in your divisions")
    review.decide(request.app.state.engine, review_id, action == "accept", principal.name)
    _audit(
        request,
        "linkage_review_decide",
        {"review_id": review_id, "action": action},
        found[0]["persons"],
        "ok",
    )
    row = _pairs(request, principal, review_id)[0]
    return TEMPLATES.TemplateResponse(request, "register/_review_row.html", {"r": row})
