"""Tables of the security domain: staff users and the tamper-evident audit log."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from padis.store.base import Base


class StaffUser(Base):
    """A member of staff who logs in with a password."""

    __tablename__ = "staff_user"

    user_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[str] = mapped_column(String(32), nullable=False)
    division: Mapped[str | None] = mapped_column(String(12))
    clearance: Mapped[str] = mapped_column(String(16), nullable=False)
    disabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[str] = mapped_column(String(32), nullable=False)


class AuditLog(Base):
    """One audited request; ``hash`` chains it to the entry before (SHA-256 over canonical JSON)."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    ts: Mapped[str] = mapped_column(String(32), nullable=False)
    actor: Mapped[str] = mapped_column(String(16), nullable=False)
    client: Mapped[str | None] = mapped_column(String(64))
    user_name: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str | None] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    request: Mapped[str] = mapped_column(Text, nullable=False)
    person_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    persons_digest: Mapped[str] = mapped_column(String(64), nullable=False)
    result: Mapped[str] = mapped_column(String(64), nullable=False)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)


class AuditPerson(Base):
    """Which persons' data one audited request sent out (the data-tracker index)."""

    __tablename__ = "audit_person"
    __table_args__ = (Index("ix_audit_person_person_id", "person_id"),)

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    person_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)


class AuditHead(Base):
    """The signed head of the chain (last seq and hash, HMAC-signed) so a cut tail is detected."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)
    signature: Mapped[str] = mapped_column(String(128), nullable=False)
    ts: Mapped[str] = mapped_column(String(32), nullable=False)


class AuditBlob(Base):
    """The person ids of one large audit entry (a batch job), delta-encoded and zlib-compressed."""

    __tablename__ = "audit_blob"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    person_count: Mapped[int] = mapped_column(Integer, nullable=False)
    ids: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
