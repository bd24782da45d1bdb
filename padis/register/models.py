"""Register tables: identity keys, golden records with per-field provenance, conflicts, change feed."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from padis.store.base import Base

BigId = BigInteger().with_variant(Integer(), "sqlite")


class PersonKey(Base):
    """An identity key (a valid 18-digit identity number) and the person it belongs to."""

    __tablename__ = "person_key"
    __table_args__ = (Index("ix_person_key_person_id", "person_id"),)

    key_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    person_id: Mapped[int | None] = mapped_column(BigInteger)


class Person(Base):
    """The golden record: one row per person, each field from its authoritative or preferred source.

    ``<field>_record`` is the source record each field came from (its provenance; view ``person_field``
    adds the record's agency and date).
    """

    __tablename__ = "person"
    __table_args__ = (Index("ix_person_id_number", "id_number"),)

    # On SQLite an INTEGER primary key is the row id: no second index to keep up on a rebuild.
    person_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
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
    status: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    id_number_record: Mapped[int | None] = mapped_column(BigInteger)
    name_record: Mapped[int | None] = mapped_column(BigInteger)
    sex_record: Mapped[int | None] = mapped_column(BigInteger)
    birth_date_record: Mapped[int | None] = mapped_column(BigInteger)
    ethnicity_record: Mapped[int | None] = mapped_column(BigInteger)
    education_record: Mapped[int | None] = mapped_column(BigInteger)
    marital_status_record: Mapped[int | None] = mapped_column(BigInteger)
    hukou_type_record: Mapped[int | None] = mapped_column(BigInteger)
    registered_division_record: Mapped[int | None] = mapped_column(BigInteger)
    residence_division_record: Mapped[int | None] = mapped_column(BigInteger)
    death_date_record: Mapped[int | None] = mapped_column(BigInteger)


class Conflict(Base):
    """A source value that disagrees with the golden value: queued for staff, never an overwrite."""

    __tablename__ = "conflict"
    __table_args__ = (
        Index("ix_conflict_person_id", "person_id", "field"),
        Index("ix_conflict_status", "status"),
    )

    conflict_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(BigInteger)
    field: Mapped[str] = mapped_column(String(40))
    golden_value: Mapped[str | None] = mapped_column(Text)
    golden_agency: Mapped[str | None] = mapped_column(String(32))
    other_value: Mapped[str | None] = mapped_column(Text)
    other_agency: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    resolution: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(64))


class ChangeFeed(Base):
    """Life events and register updates, in order: ``seq`` is the cursor subscribers read from."""

    __tablename__ = "change_feed"
    __table_args__ = (
        Index("ix_change_feed_person_id", "person_id"),
        Index("ix_change_feed_record_id", "record_id"),
        # A re-sent life-event record is recognised by its agency's key (migration e615e7000005).
        Index("ix_change_feed_source", "agency", "source_key"),
    )

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    event_type: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[int | None] = mapped_column(BigInteger)
    division: Mapped[str | None] = mapped_column(String(12))
    event_date: Mapped[date | None] = mapped_column(Date)
    payload: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
    record_id: Mapped[int | None] = mapped_column(BigInteger)
    agency: Mapped[str | None] = mapped_column(String(32))
    source_key: Mapped[str | None] = mapped_column(String(100))
