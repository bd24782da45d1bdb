"""Collection tables: batches, append-only source records with provenance, quarantined rows.

Storage choice: one ``source_record`` table for every record type. The person-level fields the
register assembles (the dictionary's ``person`` record fields named in ``PERSON_COLUMNS``) are typed
columns (for a record about someone else's event, the subject's: a birth's child, a marriage's husband,
with the second party in ``related_id_number``), so golden records and linkage run as set-based SQL;
the record's other mapped dictionary fields, normalised, are kept in ``fields`` (JSON text), so
record-specific fields survive without one table per record type.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from padis.store.base import Base

# SQLite only auto-increments an ``INTEGER PRIMARY KEY``; PostgreSQL gets a 64-bit identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")

# Person-level dictionary fields stored as typed columns of every source record (the golden fields).
PERSON_COLUMNS: tuple[str, ...] = (
    "id_number",
    "name",
    "sex",
    "birth_date",
    "ethnicity",
    "education",
    "marital_status",
    "hukou_type",
    "registered_division",
    "residence_division",
    "death_date",
)
DATE_COLUMNS: frozenset[str] = frozenset({"birth_date", "death_date", "event_date"})


class Batch(Base):
    """One file collected from one agency: committed together with all its rows, or not at all."""

    __tablename__ = "batch"
    __table_args__ = (UniqueConstraint("agency", "file_hash"),)

    batch_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agency: Mapped[str] = mapped_column(String(32))
    dataset: Mapped[str] = mapped_column(String(100))
    record_type: Mapped[str] = mapped_column(String(32))
    file_name: Mapped[str] = mapped_column(String(500))
    file_hash: Mapped[str] = mapped_column(String(64))
    file_format: Mapped[str | None] = mapped_column(String(16))
    encoding: Mapped[str | None] = mapped_column(String(32))
    parent_batch_id: Mapped[int | None] = mapped_column(ForeignKey("batch.batch_id"))
    rows_read: Mapped[int] = mapped_column(Integer)
    rows_stored: Mapped[int] = mapped_column(Integer)
    rows_quarantined: Mapped[int] = mapped_column(Integer)
    report: Mapped[str] = mapped_column(Text)
    mapping: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime)
    committed_at: Mapped[datetime] = mapped_column(DateTime)
    applied_at: Mapped[datetime | None] = mapped_column(DateTime)


class SourceRecord(Base):
    """One stored row as an agency sent it (mapped and normalised); never updated except ``person_id``.

    The database enforces it: triggers (migration c0113c7a0004) refuse a DELETE (and on PostgreSQL a
    TRUNCATE) and any UPDATE of a column other than ``person_id`` and ``related_person_id``.
    """

    __tablename__ = "source_record"
    __table_args__ = (
        Index("ix_source_record_batch_id", "batch_id"),
        # Partial: a collected row has no person yet, and nothing looks rows up by a null id.
        Index(
            "ix_source_record_person_id",
            "person_id",
            postgresql_where=text("person_id IS NOT NULL"),
            sqlite_where=text("person_id IS NOT NULL"),
        ),
        # The register looks up second parties (spouse, mother) of every record in scope.
        Index(
            "ix_source_record_related_person_id",
            "related_person_id",
            postgresql_where=text("related_person_id IS NOT NULL"),
            sqlite_where=text("related_person_id IS NOT NULL"),
        ),
    )

    record_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # No foreign key to batch: it would cost a trigger per row in a COPY, and rows only ever arrive in
    # the same transaction as their batch row.
    batch_id: Mapped[int] = mapped_column(Integer)
    agency: Mapped[str] = mapped_column(String(32))
    record_type: Mapped[str] = mapped_column(String(32))
    source_key: Mapped[str | None] = mapped_column(String(100))
    row_number: Mapped[int] = mapped_column(Integer)
    file_hash: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(DateTime)
    person_id: Mapped[int | None] = mapped_column(BigInteger)
    id_number: Mapped[str | None] = mapped_column(String(18))
    name: Mapped[str | None] = mapped_column(String(100))
    sex: Mapped[str | None] = mapped_column(String(8))
    birth_date: Mapped[date | None] = mapped_column(Date)
    ethnicity: Mapped[str | None] = mapped_column(String(8))
    education: Mapped[str | None] = mapped_column(String(8))
    marital_status: Mapped[str | None] = mapped_column(String(8))
    hukou_type: Mapped[str | None] = mapped_column(String(8))
    registered_division: Mapped[str | None] = mapped_column(String(12))
    residence_division: Mapped[str | None] = mapped_column(String(12))
    death_date: Mapped[date | None] = mapped_column(Date)
    event_date: Mapped[date | None] = mapped_column(Date)
    event_type: Mapped[str | None] = mapped_column(String(20))
    related_id_number: Mapped[str | None] = mapped_column(String(18))
    related_person_id: Mapped[int | None] = mapped_column(BigInteger)
    fields: Mapped[str | None] = mapped_column(Text)
    warnings: Mapped[str | None] = mapped_column(Text)


class Quarantine(Base):
    """A row that failed validation: its original values and reasons, until fixed and re-submitted."""

    __tablename__ = "quarantine"
    __table_args__ = (
        Index("ix_quarantine_batch_id", "batch_id"),
        Index("ix_quarantine_status", "status"),
    )

    quarantine_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batch.batch_id"))
    agency: Mapped[str] = mapped_column(String(32))
    record_type: Mapped[str] = mapped_column(String(32))
    row_number: Mapped[int] = mapped_column(Integer)
    source_key: Mapped[str | None] = mapped_column(String(100))
    reasons: Mapped[str] = mapped_column(Text)
    raw: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")
    fixes: Mapped[str | None] = mapped_column(Text)
    resubmitted_batch_id: Mapped[int | None] = mapped_column(ForeignKey("batch.batch_id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)
