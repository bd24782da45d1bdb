"""Linkage tables: the record → person id map and the clerical review queue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from padis.store.base import Base

BigId = BigInteger().with_variant(Integer(), "sqlite")


class LinkagePerson(Base):
    """Which person a source record belongs to (stable across runs)."""

    __tablename__ = "linkage_person"
    __table_args__ = (UniqueConstraint("source", "record_id", name="uq_linkage_person_record"),)

    link_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(100))
    record_id: Mapped[str] = mapped_column(String(100))
    person_id: Mapped[int] = mapped_column(BigInteger, index=True)
    linked_at: Mapped[datetime] = mapped_column(DateTime)


class LinkageReview(Base):
    """A pair in the uncertain band awaiting (or having had) a clerical decision."""

    __tablename__ = "linkage_review"
    __table_args__ = (
        UniqueConstraint("source_l", "record_id_l", "source_r", "record_id_r", name="uq_linkage_review_pair"),
    )

    review_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source_l: Mapped[str] = mapped_column(String(100))
    record_id_l: Mapped[str] = mapped_column(String(100))
    source_r: Mapped[str] = mapped_column(String(100))
    record_id_r: Mapped[str] = mapped_column(String(100))
    match_probability: Mapped[float] = mapped_column(Float)
    match_weight: Mapped[float] = mapped_column(Float)
    detail: Mapped[str] = mapped_column(Text)  # JSON: per comparison, level label and weight
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending | accepted | rejected
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)
