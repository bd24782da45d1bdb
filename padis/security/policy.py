"""The access policy: ONE function (``authorize``) that the API and the CLI both call.

Clients are governed by their sharing agreements (service, fields, purpose, divisions, validity);
staff by their role (services), division scope and clearance. A refusal raises ``PolicyDenied``
with a reason code that the API returns in its 403 body and the audit log records.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from padis.errors import AccessDenied
from padis.exchange.sources import division_contains, person_fields
from padis.security.roles import role_services

REASONS = {
    "no_agreement": "没有有效的共享协议",
    "service_not_allowed": "协议或角色不允许此服务",
    "purpose_missing": "未说明用途（X-Purpose）",
    "purpose_not_allowed": "用途不在协议范围内",
    "field_not_allowed": "字段不在协议范围内",
    "division_not_allowed": "行政区划不在授权范围内",
    "unknown_field": "字段不存在",
    "account_disabled": "账户已停用",
    "agency_not_allowed": "只能报送本单位的数据",
}


class PolicyDenied(AccessDenied):
    """A request the policy refuses; ``reason`` is a code from ``REASONS``."""

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        why = f"{reason}: {detail}" if detail else reason
        super().__init__(REASONS.get(reason, reason), where="policy", why=why)


@dataclass(frozen=True)
class AgreementTerms:
    """The terms of one sharing agreement as the policy reads them."""

    agreement_id: int
    services: frozenset[str]
    fields: frozenset[str]
    purposes: frozenset[str]
    divisions: tuple[str, ...]
    valid_from: str
    valid_to: str | None
    revoked: bool = False

    def active(self, today: dt.date) -> bool:
        """Whether the agreement is in force on ``today``."""
        day = today.isoformat()
        return not self.revoked and self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class Principal:
    """Who is calling: a member agency (``client``), a staff user (``staff``) or the local CLI operator."""

    kind: str
    name: str
    agency: str | None = None
    role: str | None = None
    division: str | None = None
    clearance: str = "public"
    agreements: tuple[AgreementTerms, ...] = ()
    rate_limit: int | None = None

    @property
    def client(self) -> str | None:
        """The client id for audit (None for staff)."""
        return self.name if self.kind == "client" else None

    @property
    def user(self) -> str | None:
        """The user name for audit (None for clients)."""
        return self.name if self.kind != "client" else None


@dataclass(frozen=True)
class Grant:
    """What a request may see: fields in clear/masked, division scopes (None = all), clearance."""

    service: str
    purpose: str | None
    fields: tuple[str, ...]
    divisions: tuple[str, ...] | None
    clearance: str
    agreement_ids: tuple[int, ...] = field(default_factory=tuple)

    def covers(self, division: str | None) -> bool:
        """Whether a person in ``division`` lies within this grant's scopes."""
        if self.divisions is None:
            return True
        if not division:
            return False
        return any(division_contains(s, division) for s in self.divisions)


def _check_fields(requested: list[str] | None, allowed: set[str]) -> tuple[str, ...]:
    known = person_fields()
    if requested is None:
        return tuple(f for f in known if f in allowed)
    unknown = [f for f in requested if f not in known]
    if unknown:
        raise PolicyDenied("unknown_field", ",".join(unknown[:5]))
    beyond = [f for f in requested if f not in allowed]
    if beyond:
        raise PolicyDenied("field_not_allowed", ",".join(beyond))
    return tuple(dict.fromkeys(requested))


def authorize(
    principal: Principal,
    service: str,
    *,
    purpose: str | None,
    fields: list[str] | None = None,
    division: str | None = None,
    today: dt.date | None = None,
) -> Grant:
    """Decide whether ``principal`` may call ``service`` for ``purpose`` on ``fields`` in ``division``."""
    if principal.kind == "client":
        return _authorize_client(principal, service, purpose, fields, division, today or dt.date.today())
    return _authorize_staff(principal, service, purpose, fields, division)


def _needs_purpose(service: str) -> bool:
    return service not in ("audit", "admin")


def _authorize_client(
    p: Principal,
    service: str,
    purpose: str | None,
    fields: list[str] | None,
    division: str | None,
    today: dt.date,
) -> Grant:
    active = [a for a in p.agreements if a.active(today)]
    if not active:
        raise PolicyDenied("no_agreement")
    by_service = [a for a in active if service in a.services]
    if not by_service:
        raise PolicyDenied("service_not_allowed", service)
    if not purpose:
        raise PolicyDenied("purpose_missing")
    matching = [a for a in by_service if purpose in a.purposes]
    if not matching:
        raise PolicyDenied("purpose_not_allowed", purpose[:64])
    allowed = set().union(*(a.fields for a in matching))
    chosen = _check_fields(fields, allowed)
    scopes = tuple(dict.fromkeys(d for a in matching for d in a.divisions))
    grant = Grant(service, purpose, chosen, scopes, "secret", tuple(a.agreement_id for a in matching))
    if division is not None and not grant.covers(division):
        raise PolicyDenied("division_not_allowed", division[:12])
    return grant


def _authorize_staff(
    p: Principal, service: str, purpose: str | None, fields: list[str] | None, division: str | None
) -> Grant:
    allowed_services = role_services("administrator" if p.kind == "cli" else (p.role or ""))
    if service not in allowed_services:
        raise PolicyDenied("service_not_allowed", service)
    if _needs_purpose(service) and not purpose:
        raise PolicyDenied("purpose_missing")
    chosen = _check_fields(fields, set(person_fields()))
    scopes = (p.division,) if p.division else None
    grant = Grant(service, purpose, chosen, scopes, p.clearance)
    if division is not None and not grant.covers(division):
        raise PolicyDenied("division_not_allowed", division[:12])
    return grant


CLI_PRINCIPAL = Principal(kind="cli", name="cli", role="administrator", clearance="secret")
