"""Tables of the exchange domain: members, agreements, verification jobs, subscriptions, webhook outbox."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from padis.store.base import Base

BigInt = BigInteger().with_variant(Integer, "sqlite")


class Member(Base):
    """A registered API client: one agency (or another node) with a hashed secret."""

    __tablename__ = "member"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    agency: Mapped[str] = mapped_column(String(32), nullable=False)
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    secret_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    rate_limit: Mapped[int | None] = mapped_column(Integer)
    disabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[str] = mapped_column(String(32), nullable=False)
    secret_rotated_at: Mapped[str | None] = mapped_column(String(32))


class Agreement(Base):
    """A sharing agreement: the services, fields, purposes and divisions one member may use."""

    __tablename__ = "agreement"
    __table_args__ = (Index("ix_agreement_client_id", "client_id"),)

    agreement_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(String(64), nullable=False)
    services: Mapped[str] = mapped_column(Text, nullable=False)
    fields: Mapped[str] = mapped_column(Text, nullable=False)
    purposes: Mapped[str] = mapped_column(Text, nullable=False)
    divisions: Mapped[str] = mapped_column(Text, nullable=False)
    legal_basis: Mapped[str] = mapped_column(Text, nullable=False, default="")
    valid_from: Mapped[str] = mapped_column(String(10), nullable=False)
    valid_to: Mapped[str | None] = mapped_column(String(10))
    revoked_at: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[str] = mapped_column(String(32), nullable=False)


class VerifyJob(Base):
    """A batch identity verification job and its progress."""

    __tablename__ = "verify_job"

    job_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    client_id: Mapped[str | None] = mapped_column(String(64))
    user_name: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    done: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    counts: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    error: Mapped[str | None] = mapped_column(Text)
    result_path: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(32), nullable=False)
    finished_at: Mapped[str | None] = mapped_column(String(32))


class Subscription(Base):
    """A member's subscription to change types in its divisions (pull cursor and/or webhook)."""

    __tablename__ = "subscription"

    subscription_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(String(64), nullable=False)
    event_types: Mapped[str] = mapped_column(Text, nullable=False)
    divisions: Mapped[str] = mapped_column(Text, nullable=False)
    webhook_url: Mapped[str | None] = mapped_column(Text)
    enqueued_seq: Mapped[int] = mapped_column(BigInt, nullable=False, default=0)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[str] = mapped_column(String(32), nullable=False)


class WebhookOutbox(Base):
    """One event waiting for (or done with) delivery to one webhook subscription."""

    __tablename__ = "webhook_outbox"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id", name="uq_webhook_outbox_sub_event"),
        Index("ix_webhook_outbox_next", "delivered_at", "next_attempt_at"),
    )

    outbox_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subscription_id: Mapped[int] = mapped_column(Integer, nullable=False)
    event_id: Mapped[str] = mapped_column(String(36), nullable=False)
    seq: Mapped[int] = mapped_column(BigInt, nullable=False)
    payload: Mapped[str] = mapped_column(Text, nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[int] = mapped_column(BigInt, nullable=False, default=0)
    delivered_at: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
