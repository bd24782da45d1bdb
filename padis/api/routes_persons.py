"""``/api/v1/persons``: query one person by ID number, or by name + birth date + division."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from padis.api.common import ERRORS, parse_fields
from padis.api.schemas import NO_CONTROL, PersonsBody
from padis.exchange.query import query_by_id, query_by_name
from padis.security.deps import audit, caller, grant_for
from padis.security.policy import Principal

router = APIRouter(prefix="/persons", tags=["query"], responses=ERRORS)


# async: the lookup is one indexed read, cheaper inline than a thread hop (see bench/results/exchange.md).
@router.get("", response_model=PersonsBody)
async def get_person(
    request: Request,
    id_number: str = Query(..., min_length=1, max_length=32, description="公民身份号码"),
    fields: str | None = Query(None, max_length=500, description="comma-separated dictionary fields"),
    principal: Principal = Depends(caller),
) -> PersonsBody:
    """The person with this ID number: only the fields the agreement allows, masked by clearance."""
    grant = grant_for(request, principal, "query", fields=parse_fields(fields))
    result = query_by_id(request.app.state.engine, grant, id_number)
    audit(request, "query", {**result.summary, "fields": list(grant.fields)}, result.person_ids, "ok")
    # A plain JSONResponse: the body is built from the grant's fields, so re-validating it is pure cost.
    return JSONResponse({"persons": result.persons, "count": len(result.persons)})  # type: ignore[return-value]


@router.get("/search", response_model=PersonsBody)
async def search_persons(
    request: Request,
    name: str = Query(..., min_length=1, max_length=64, pattern=NO_CONTROL),
    birth_date: str = Query(..., min_length=8, max_length=10, description="YYYY-MM-DD"),
    division: str = Query(..., min_length=6, max_length=12),
    fields: str | None = Query(None, max_length=500),
    principal: Principal = Depends(caller),
) -> PersonsBody:
    """Persons by name + birth date within a division."""
    grant = grant_for(request, principal, "query", fields=parse_fields(fields), division=division)
    result = query_by_name(request.app.state.engine, grant, name, birth_date, division)
    audit(request, "query", {**result.summary, "fields": list(grant.fields)}, result.person_ids, "ok")
    return PersonsBody(persons=result.persons, count=len(result.persons))
