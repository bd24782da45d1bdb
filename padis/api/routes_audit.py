"""``/api/v1/audit``: the data tracker (who looked at a person) and the chain check, for auditors."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request
from sqlalchemy import text

from padis.api.common import ERRORS
from padis.api.schemas import AccessBody, ChainBody
from padis.security.audit import person_accesses, verify_chain
from padis.security.deps import audit, caller, grant_for
from padis.security.policy import Principal
from padis.standards.idnumber import check_id, mask_id

router = APIRouter(prefix="/audit", tags=["audit"], responses=ERRORS)


@router.get("/persons/{id_number}", response_model=AccessBody)
def accesses(
    request: Request, id_number: str = Path(..., max_length=32), principal: Principal = Depends(caller)
) -> AccessBody:
    """Who has looked at this person's data, when and why."""
    grant_for(request, principal, "audit")
    check = check_id(id_number)
    person_id = None
    if check.valid:
        with request.app.state.engine.connect() as conn:
            person_id = conn.execute(
                text("SELECT person_id FROM person WHERE id_number = :i"), {"i": check.normalized}
            ).scalar()
    rows = person_accesses(request.app.state.engine, int(person_id)) if person_id is not None else []
    audit(request, "audit_person", {"id_number": mask_id(check.normalized or id_number)}, None, "ok")
    return AccessBody(person_found=person_id is not None, accesses=rows)


@router.get("/verify", response_model=ChainBody)
def chain(request: Request, principal: Principal = Depends(caller)) -> ChainBody:
    """Recompute the audit hash chain and report the first broken entry."""
    grant_for(request, principal, "audit")
    request.app.state.audit.flush()
    report = verify_chain(request.app.state.engine)
    audit(request, "audit_verify", {}, None, "ok" if report.ok else "broken")
    return ChainBody(
        ok=report.ok, entries=report.entries, first_bad_seq=report.first_bad_seq, problem=report.problem
    )
