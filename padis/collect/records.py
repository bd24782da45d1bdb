"""Turning validated rows into ``source_record`` and ``quarantine`` rows (columnar, no row loop)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from padis.collect.mapping import Mapping
from padis.collect.models import PERSON_COLUMNS
from padis.collect.reader import ROW_COLUMN
from padis.collect.validate import REASONS, SOURCE_KEY, WARNINGS, Validated

# Which record field speaks for each person-level column when a record is about someone's event
# (default: the field of the same name). ``related_id_number`` is the event's second party.
SUBJECT_FIELDS: dict[str, dict[str, str]] = {
    "birth": {
        "id_number": "child_id_number",
        "name": "child_name",
        "sex": "child_sex",
        "related_id_number": "mother_id_number",
    },
    "marriage": {
        "id_number": "husband_id_number",
        "name": "husband_name",
        "related_id_number": "wife_id_number",
    },
    "household": {"id_number": "head_id_number", "name": "head_name"},
    "contraception": {"related_id_number": "spouse_id_number"},
}
# Registration type -> marital status (GB/T 2261.2) for both parties of a marriage record.
MARRIAGE_STATUS = {"1": "20", "2": "40"}
# Migration kind -> the person-level division the move changes.
MIGRATION_TARGET = {"1": "residence_division", "2": "registered_division"}


def _col_or_null(name: str | None, names: set[str], dtype: pl.DataType) -> pl.Expr:
    return pl.col(name).cast(dtype) if name and name in names else pl.lit(None, dtype)


def person_columns(frame: pl.DataFrame, mapping: Mapping) -> list[pl.Expr]:
    """Expressions for the typed person-level columns (and ``related_id_number``) of ``mapping.record``."""
    names = set(frame.columns)
    rules = SUBJECT_FIELDS.get(mapping.record, {})
    exprs: list[pl.Expr] = []
    for col in (*PERSON_COLUMNS, "related_id_number"):
        dtype = pl.Date if col in ("birth_date", "death_date") else pl.String
        default = col if col != "related_id_number" else None
        exprs.append(_col_or_null(rules.get(col, default), names, dtype).alias(col))
    if mapping.record == "marriage" and "registration_type" in names:
        exprs = [e for e in exprs if e.meta.output_name() != "marital_status"]
        exprs.append(
            pl.col("registration_type").replace_strict(MARRIAGE_STATUS, default=None).alias("marital_status")
        )
    if mapping.record == "migration" and {"migration_kind", "to_division"} <= names:
        targets = set(MIGRATION_TARGET.values())
        exprs = [e for e in exprs if e.meta.output_name() not in targets]
        exprs += [
            pl.when(pl.col("migration_kind") == kind).then(pl.col("to_division")).alias(target)
            for kind, target in MIGRATION_TARGET.items()
        ]
    return exprs


def build_records(validated: Validated, mapping: Mapping) -> pl.DataFrame:
    """The ``source_record`` rows of a batch's valid part (columns shared by the batch come as constants)."""
    good = validated.good
    rec = mapping.record_def
    names = set(good.columns)
    person = person_columns(good, mapping)
    used = {str(e.meta.output_name()) for e in person}
    # Fields that became typed columns under their own name are not repeated in ``fields``.
    subject = SUBJECT_FIELDS.get(mapping.record, {})
    typed_sources = {subject.get(c, c) for c in used} & names
    rest = [f for f in validated.fields if f not in typed_sources]
    event_date = pl.lit(None, pl.Date)
    if "_event_date_src" in names:
        event_date = pl.col("_event_date_src")
    if rec.event_date and rec.event_date in names:
        event_date = pl.coalesce(event_date, pl.col(rec.event_date))
    event_type = rec.event_type_expr()
    if event_type is None or (rec.event_by is not None and rec.event_by.field not in names):
        event_type = pl.lit(None, pl.String)
    fields_json = (
        pl.struct([pl.col(f).cast(pl.String) for f in rest]).struct.json_encode()
        if rest
        else pl.lit(None, pl.String)
    )
    return good.select(
        pl.col(SOURCE_KEY).alias("source_key"),
        pl.col(ROW_COLUMN).cast(pl.Int32).alias("row_number"),
        *person,
        event_date.alias("event_date"),
        event_type.alias("event_type"),
        fields_json.alias("fields"),
        pl.col(WARNINGS).alias("warnings"),
    )


def build_quarantine(
    validated: Validated, source: pl.DataFrame, mapping: Mapping, *, created_at: dt.datetime
) -> pl.DataFrame:
    """The ``quarantine`` rows of a batch's failing part, with all original values (no ``batch_id``)."""
    bad = validated.bad.select(ROW_COLUMN, SOURCE_KEY, REASONS)
    raw_cols = [c for c in source.columns if c != ROW_COLUMN]
    raw = source.join(bad.select(ROW_COLUMN), on=ROW_COLUMN, how="semi").select(
        ROW_COLUMN, pl.struct(raw_cols).struct.json_encode().alias("raw")
    )
    return bad.join(raw, on=ROW_COLUMN, how="left").select(
        pl.lit(mapping.agency).alias("agency"),
        pl.lit(mapping.record).alias("record_type"),
        pl.col(ROW_COLUMN).cast(pl.Int32).alias("row_number"),
        pl.col(SOURCE_KEY).alias("source_key"),
        pl.col(REASONS).alias("reasons"),
        pl.col("raw"),
        pl.lit("open").alias("status"),
        pl.lit(created_at).alias("created_at"),
    )


def reason_counts(validated: Validated) -> dict[str, int]:
    """How many rows carry each reason (a row with two reasons counts under both)."""
    counts = (
        validated.bad.select(pl.col(REASONS).str.split(";").explode().alias("reason"))
        .group_by("reason")
        .len()
        .sort(["len", "reason"], descending=[True, False])
    )
    return {str(r): int(n) for r, n in counts.iter_rows()}
