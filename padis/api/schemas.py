"""Request and response bodies of the HTTP API (they make the OpenAPI document)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

# No control characters in text that reaches SQL (PostgreSQL refuses NUL; none belongs in these fields).
NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"


class ErrorBody(BaseModel):
    """Every 4xx answer: an error kind, a reason code (policy/token) and a human detail."""

    error: str
    reason: str | None = None
    detail: str = ""


class TokenBody(BaseModel):
    """An access token."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int


class LoginBody(BaseModel):
    """Staff login."""

    username: str = Field(min_length=1, max_length=64, pattern=NO_CONTROL)
    password: str = Field(min_length=1, max_length=256, pattern=NO_CONTROL)


class PersonsBody(BaseModel):
    """Persons a query returns: only granted fields, masked by clearance."""

    persons: list[dict[str, Any]]
    count: int


class JobBody(BaseModel):
    """A verification job's state."""

    job_id: str
    status: str
    total: int
    done: int
    counts: dict[str, int]
    error: str | None = None


class BatchBody(BaseModel):
    """A delivered batch: what was read, stored and quarantined (by reason), and what the register did."""

    batch_id: int
    agency: str
    file: str
    record_type: str
    already_loaded: bool
    rows_read: int
    rows_stored: int
    rows_quarantined: int
    by_reason: dict[str, int]
    register_changes: dict[str, int]
    notes: list[str] = []


class BatchSummary(BaseModel):
    """One delivered batch in a list: its counts, and the batch it resubmits (corrected rows), if any."""

    batch_id: int
    agency: str
    file: str
    record_type: str
    rows_read: int
    rows_stored: int
    rows_quarantined: int
    received_at: str
    resubmits: int | None = None


class BatchListBody(BaseModel):
    """The latest batches, newest first."""

    batches: list[BatchSummary]


class RecordsIn(BaseModel):
    """An agency's records: each an object of dictionary fields including ``id_number``."""

    records: list[dict[str, str | None]] = Field(min_length=1, max_length=50_000)


class Discrepancy(BaseModel):
    """One difference between a submitted record and the register."""

    row: int
    field: str | None
    submitted: str | None
    register_value: str | None
    authority: str | None
    status: str
    status_label: str | None


class MutualBody(BaseModel):
    """Result of mutual verification."""

    records: int
    matched: int
    discrepancies: list[Discrepancy]


class SupplementBody(BaseModel):
    """Result of supplementation."""

    filled: int
    records: list[dict[str, Any]]


class ChangeIn(BaseModel):
    """One field change pushed by an agency."""

    id_number: str = Field(min_length=1, max_length=32, pattern=NO_CONTROL)
    field: str = Field(min_length=1, max_length=40, pattern=NO_CONTROL)
    value: str = Field(max_length=200, pattern=NO_CONTROL)
    event_date: str | None = Field(default=None, max_length=10, pattern=NO_CONTROL)
    record_id: int | None = Field(default=None, ge=0, le=2**62)


class ChangesIn(BaseModel):
    """A batch of changes."""

    changes: list[ChangeIn] = Field(min_length=1, max_length=10_000)


class ChangeOut(BaseModel):
    """What became of one change."""

    index: int
    outcome: str
    event_id: str | None = None
    detail: str = ""


class ChangesBody(BaseModel):
    """Outcomes of an update batch."""

    outcomes: list[ChangeOut]
    summary: dict[str, int]


class SubscriptionIn(BaseModel):
    """A new subscription."""

    event_types: list[str] = Field(min_length=1, max_length=8)
    divisions: list[str] = Field(min_length=1, max_length=100)
    webhook_url: str | None = Field(default=None, max_length=500, pattern=NO_CONTROL)


class SubscriptionBody(BaseModel):
    """A subscription."""

    subscription_id: int
    event_types: list[str]
    divisions: list[str]
    webhook_url: str | None
    webhook_secret: str | None = Field(
        default=None,
        description="Returned once, when a webhook subscription is created: verify each delivery's "
        "X-Padis-Signature (t=<unix seconds>,v1=<hex HMAC-SHA256(secret, '<t>.' + body)>) with it.",
    )


class EventsBody(BaseModel):
    """Events after a cursor; pass ``next_cursor`` on the next pull."""

    events: list[dict[str, Any]]
    next_cursor: int


class DiscrepanciesBody(BaseModel):
    """Discrepancies returned to the caller's agency after ``cursor``; pass ``next_cursor`` next time."""

    discrepancies: list[dict[str, Any]]
    next_cursor: int


class AccessBody(BaseModel):
    """Who has looked at a person's data."""

    person_found: bool
    accesses: list[dict[str, Any]]


class ChainBody(BaseModel):
    """Result of checking the audit chain."""

    ok: bool
    entries: int
    first_bad_seq: int | None
    problem: str
