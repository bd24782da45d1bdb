"""Staff roles: what each may do and its default clearance."""

from __future__ import annotations

# Services a principal can call; the agreement (clients) or the role (staff) must name each.
SERVICES = (
    "query",
    "verify",
    "mutual_verify",
    "supplement",
    "update",
    "subscribe",
    "collect",
    "audit",
    "admin",
)

ROLES: dict[str, dict[str, object]] = {
    "administrator": {"label": "系统管理员", "clearance": "secret", "services": set(SERVICES)},
    "data_steward": {
        "label": "数据管理员",
        "clearance": "sensitive",
        "services": {"query", "verify", "mutual_verify", "supplement", "update", "collect"},
    },
    "county_staff": {"label": "县级工作人员", "clearance": "internal", "services": {"query", "verify"}},
    "township_staff": {"label": "乡镇工作人员", "clearance": "internal", "services": {"query"}},
    "analyst": {"label": "统计分析人员", "clearance": "public", "services": set()},
    "auditor": {"label": "审计人员", "clearance": "internal", "services": {"audit"}},
}


def role_services(role: str) -> set[str]:
    """The services a role may call (none for an unknown role)."""
    spec = ROLES.get(role)
    return set(spec["services"]) if spec else set()  # type: ignore[arg-type]


def default_clearance(role: str) -> str:
    """The clearance a new user of ``role`` gets unless told otherwise."""
    spec = ROLES.get(role)
    return str(spec["clearance"]) if spec else "public"
