"""Sharing agreements: per member, the services, fields, purposes (legal basis) and divisions it may use."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from dataclasses import dataclass

from sqlalchemy import Engine, text

from padis.errors import InputError
from padis.exchange.sources import now_iso, person_fields
from padis.security.policy import AgreementTerms, Principal
from padis.security.roles import SERVICES

CLIENT_SERVICES = tuple(s for s in SERVICES if s not in ("audit", "admin"))


@dataclass(frozen=True)
class AgreementInfo:
    """An agreement as stored, for listing."""

    agreement_id: int
    client_id: str
    terms: AgreementTerms
    legal_basis: str
    created_at: str
    revoked_at: str | None


def _parse_date(value: str | None, where: str) -> str | None:
    if value is None or value == "":
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError as exc:
        raise InputError("date must be YYYY-MM-DD", where=where, why=value[:20]) from exc


def _check_divisions(divisions: list[str]) -> list[str]:
    out = []
    for d in divisions:
        d = d.strip()
        if not (d.isdigit() and len(d) in (6, 9, 12)):
            raise InputError(
                "division must be a 6-, 9- or 12-digit code", where="agreement divisions", why=d[:20]
            )
        out.append(d)
    if not out:
        raise InputError("an agreement names at least one division", where="agreement divisions")
    return out


def add_agreement(
    engine: Engine,
    client_id: str,
    *,
    services: list[str],
    fields: list[str],
    purposes: list[str],
    divisions: list[str],
    legal_basis: str = "",
    valid_from: str | None = None,
    valid_to: str | None = None,
) -> int:
    """Record an agreement after checking services, fields (against the dictionary), divisions and dates."""
    bad = [s for s in services if s not in CLIENT_SERVICES]
    if bad or not services:
        raise InputError(
            f"unknown service(s) {bad}",
            where="agreement services",
            why="one of " + ", ".join(CLIENT_SERVICES),
        )
    known = person_fields()
    unknown = [f for f in fields if f not in known]
    if unknown or not fields:
        raise InputError(
            f"field(s) not in the data dictionary: {unknown}",
            where="agreement fields",
            why="person fields: " + ", ".join(known),
        )
    purposes = [p.strip() for p in purposes if p.strip()]
    if not purposes:
        raise InputError("an agreement names at least one purpose", where="agreement purposes")
    divs = _check_divisions(divisions)
    start = _parse_date(valid_from, "valid_from") or dt.date.today().isoformat()
    end = _parse_date(valid_to, "valid_to")
    if end is not None and end < start:
        raise InputError("valid_to is before valid_from", where="agreement dates")
    with engine.begin() as conn:
        if not conn.execute(text("SELECT 1 FROM member WHERE client_id = :c"), {"c": client_id}).first():
            raise InputError(f"no member {client_id!r}", where="agreements add")
        conn.execute(
            text(
                "INSERT INTO agreement (client_id, services, fields, purposes, divisions, legal_basis,"
                " valid_from, valid_to, revoked_at, created_at) VALUES (:c, :s, :f, :p, :d, :lb, :vf, :vt,"
                " NULL, :at)"
            ),
            {
                "c": client_id,
                "s": json.dumps(sorted(set(services))),
                "f": json.dumps(list(dict.fromkeys(fields))),
                "p": json.dumps(purposes, ensure_ascii=False),
                "d": json.dumps(divs),
                "lb": legal_basis,
                "vf": start,
                "vt": end,
                "at": now_iso(),
            },
        )
        new_id = conn.execute(
            text("SELECT MAX(agreement_id) FROM agreement WHERE client_id = :c"), {"c": client_id}
        ).scalar_one()
    PRINCIPALS.clear()
    return int(new_id)


def _terms(row: dict) -> AgreementTerms:  # type: ignore[type-arg]
    return AgreementTerms(
        agreement_id=int(row["agreement_id"]),
        services=frozenset(json.loads(row["services"])),
        fields=frozenset(json.loads(row["fields"])),
        purposes=frozenset(json.loads(row["purposes"])),
        divisions=tuple(json.loads(row["divisions"])),
        valid_from=row["valid_from"],
        valid_to=row["valid_to"],
        revoked=row["revoked_at"] is not None,
    )


def list_agreements(engine: Engine, client_id: str | None = None) -> list[AgreementInfo]:
    """Agreements (of one member, or all)."""
    sql = (
        "SELECT * FROM agreement" + (" WHERE client_id = :c" if client_id else "") + " ORDER BY agreement_id"
    )
    with engine.connect() as conn:
        rows = conn.execute(text(sql), {"c": client_id}).mappings().all()
    return [
        AgreementInfo(
            int(r["agreement_id"]),
            r["client_id"],
            _terms(dict(r)),
            r["legal_basis"],
            r["created_at"],
            r["revoked_at"],
        )
        for r in rows
    ]


def get_agreement(engine: Engine, agreement_id: int) -> AgreementInfo:
    """One agreement; raises ``InputError`` when missing."""
    for a in list_agreements(engine):
        if a.agreement_id == agreement_id:
            return a
    raise InputError(f"no agreement {agreement_id}", where="agreements")


def revoke_agreement(engine: Engine, agreement_id: int) -> None:
    """Revoke an agreement at once (takes effect within the principal cache's lifetime)."""
    with engine.begin() as conn:
        n = conn.execute(
            text("UPDATE agreement SET revoked_at = :at WHERE agreement_id = :i AND revoked_at IS NULL"),
            {"at": now_iso(), "i": agreement_id},
        ).rowcount
    if not n:
        raise InputError(f"no active agreement {agreement_id}", where="agreements revoke")
    PRINCIPALS.clear()


class PrincipalCache:
    """Members with their agreements, cached for ``ttl_s`` so a request costs no extra query.

    A disable or revoke done in another process takes effect within ``ttl_s`` seconds.
    """

    def __init__(self, ttl_s: float = 5.0) -> None:
        self.ttl_s = ttl_s
        self._items: dict[tuple[str, str], tuple[float, Principal | None]] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        """Forget everything (after a change in this process)."""
        with self._lock:
            self._items.clear()

    def client(self, engine: Engine, client_id: str) -> Principal | None:
        """The principal of an enabled member, or None."""
        return self._get(engine, "client", client_id)

    def staff(self, engine: Engine, username: str) -> Principal | None:
        """The principal of an enabled staff user, or None."""
        return self._get(engine, "staff", username)

    def _get(self, engine: Engine, kind: str, name: str) -> Principal | None:
        key = (str(engine.url), kind + ":" + name)
        now = time.monotonic()
        hit = self._items.get(key)
        if hit is not None and now - hit[0] < self.ttl_s:
            return hit[1]
        if kind == "client":
            principal = load_client(engine, name)
        else:
            from padis.security.users import load_staff

            principal = load_staff(engine, name)
        with self._lock:
            self._items[key] = (now, principal)
        return principal


def load_client(engine: Engine, client_id: str) -> Principal | None:
    """A member and its agreements as a principal (None when missing or disabled)."""
    with engine.connect() as conn:
        m = conn.execute(
            text("SELECT client_id, agency, rate_limit, disabled FROM member WHERE client_id = :c"),
            {"c": client_id},
        ).first()
        if m is None or m[3]:
            return None
        rows = (
            conn.execute(text("SELECT * FROM agreement WHERE client_id = :c"), {"c": client_id})
            .mappings()
            .all()
        )
    return Principal(
        kind="client",
        name=m[0],
        agency=m[1],
        rate_limit=m[2],
        agreements=tuple(_terms(dict(r)) for r in rows),
    )


PRINCIPALS = PrincipalCache()
