"""Dictionary-driven mapping and validation of a whole batch, as Polars expressions.

Each row gets its reasons (``field:problem``, ';'-joined); rows with none are stored, the others go to
quarantine with their reasons. Warnings (an identity number whose region code was created after the
birth year, say) are kept with the stored record instead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

import polars as pl

from padis.collect.mapping import DEFAULT_DATE_FORMATS, Mapping
from padis.collect.reader import ROW_COLUMN
from padis.errors import InputError
from padis.standards import codes
from padis.standards.dictionary import FieldDef
from padis.standards.idnumber import check_ids

REASONS = "_reasons"
WARNINGS = "_warnings"
SOURCE_KEY = "_source_key"
# Set by :func:`mark_first_keys` on a whole batch, so a part of it can be validated alone.
FIRST_KEY = "_first_key"
_TRUE = {"1", "true", "t", "yes", "y", "是", "真"}
_FALSE = {"0", "false", "f", "no", "n", "否", "假"}
# Identity number fields and the sex / birth-date fields of the same person (cross-field checks).
_ID_PARTNERS: dict[str, tuple[str | None, str | None]] = {
    "id_number": ("sex", "birth_date"),
    "child_id_number": ("child_sex", "birth_date"),
}


@dataclass(frozen=True)
class Validated:
    """A validated batch: one row per source row with typed fields, reasons and warnings."""

    frame: pl.DataFrame
    fields: list[str]

    @property
    def good(self) -> pl.DataFrame:
        """Rows without a reason: to be stored."""
        return self.frame.filter(pl.col(REASONS).is_null())

    @property
    def bad(self) -> pl.DataFrame:
        """Rows with at least one reason: to be quarantined."""
        return self.frame.filter(pl.col(REASONS).is_not_null())


def check_columns(frame: pl.DataFrame, mapping: Mapping, where: str) -> None:
    """InputError when the file lacks a column the mapping reads (nothing is stored)."""
    missing = [c for c in mapping.source_columns() if c not in frame.columns]
    if missing:
        raise InputError(
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
            where=where,
            why=f"mapping {mapping.name or mapping.record} reads {len(mapping.source_columns())} columns",
        )


@cache
def _known_divisions() -> pl.Series:
    from padis.standards.divisions import get_divisions

    return get_divisions().validity_frame().get_column("code").cast(pl.String)


def _clean(col: str) -> pl.Expr:
    text = pl.col(col).cast(pl.String).str.strip_chars()
    return pl.when(text == "").then(None).otherwise(text)


# A reason: the condition that raises it and its text (a constant, or an expression per row).
Reason = tuple[pl.Expr, "str | pl.Expr"]


def _reason(cond: pl.Expr, text: str | pl.Expr) -> Reason:
    return cond.fill_null(False), text


def _date_expr(raw: pl.Expr, formats: list[str]) -> pl.Expr:
    parsed = [raw.str.strptime(pl.Date, fmt, strict=False, exact=True) for fmt in formats]
    return pl.coalesce(parsed) if len(parsed) > 1 else parsed[0]


def _field_exprs(f: FieldDef, raw: pl.Expr, mapping: Mapping, today: dt.date) -> tuple[pl.Expr, list[Reason]]:
    """The typed value of one field and the reasons about it (reading the typed column by name)."""
    name = f.name
    reasons: list[Reason] = []
    # The reasons run after the typed columns exist: they read the column, not a second evaluation.
    value = pl.col(name)
    present = raw.is_not_null()
    if f.type == "code":
        local = mapping.codes.get(name)
        mapped = raw.replace(local) if local else raw
        table = codes.get_table(str(f.code_table))
        typed = mapped.map_batches(table.normalize_series, return_dtype=pl.String)
        reasons.append(_reason(present & value.is_null(), f"{name}:not_in_code_table({f.code_table})"))
    elif f.type == "date":
        typed = _date_expr(raw, mapping.dates.get(name) or list(DEFAULT_DATE_FORMATS))
        reasons.append(_reason(present & value.is_null(), f"{name}:unparseable"))
        reasons.append(_reason(value > pl.lit(today), f"{name}:in_future"))
    elif f.type == "division":
        typed = raw
        ok_format = raw.str.contains(r"^\d{6}$")
        reasons.append(_reason(present & ~ok_format, f"{name}:bad_format"))
        reasons.append(
            _reason(
                present & ok_format & ~raw.is_in(_known_divisions().implode()), f"{name}:unknown_division"
            )
        )
    elif f.type == "integer":
        typed = raw.str.replace(r"\.0+$", "").str.to_integer(strict=False)
        reasons.append(_reason(present & value.is_null(), f"{name}:not_integer"))
    elif f.type == "decimal":
        typed = raw.cast(pl.Float64, strict=False)
        reasons.append(_reason(present & value.is_null(), f"{name}:not_decimal"))
    elif f.type == "boolean":
        low = raw.str.to_lowercase()
        typed = pl.when(low.is_in(list(_TRUE))).then(True).when(low.is_in(list(_FALSE))).then(False)
        reasons.append(_reason(present & value.is_null(), f"{name}:not_boolean"))
    else:  # string, name; id_number is handled by check_ids in validate()
        typed = raw
        if f.max_length:
            reasons.append(_reason(raw.str.len_chars() > f.max_length, f"{name}:too_long"))
    if f.required:
        reasons.append(_reason(~present, f"required:{name}"))
    return typed.alias(name), reasons


def _joined(reasons: list[Reason]) -> pl.Expr:
    if not reasons:
        return pl.lit(None, pl.String)
    parts = [pl.when(c).then(t if isinstance(t, pl.Expr) else pl.lit(t)) for c, t in reasons]
    text = pl.concat_str(parts, separator=";", ignore_nulls=True)
    return pl.when(text != "").then(text)


def _texts(frame: pl.DataFrame, reasons: list[Reason], alias: str) -> pl.DataFrame:
    """``frame`` with the ';'-joined texts of its reasons (null when none) as column ``alias``.

    The conditions are cheap booleans over every row; the text is built only for the few rows
    that have any (joining strings over the whole batch cost more than all the checks).
    """
    if not reasons:
        return frame.with_columns(pl.lit(None, pl.String).alias(alias))
    flagged = frame.with_columns(pl.any_horizontal([cond for cond, _ in reasons]).alias("_any"))
    hits = flagged.filter(pl.col("_any")).select(ROW_COLUMN, _joined(reasons).alias(alias))
    return flagged.drop("_any").join(hits, on=ROW_COLUMN, how="left", maintain_order="left")


def _source_key(mapping: Mapping) -> pl.Expr:
    return (_clean(mapping.record_id) if mapping.record_id else pl.lit(None, pl.String)).alias(SOURCE_KEY)


def mark_first_keys(frame: pl.DataFrame, mapping: Mapping) -> pl.DataFrame:
    """``frame`` with ``FIRST_KEY``: false on a row whose record key an earlier row of the batch has."""
    if not mapping.record_id:
        return frame
    return frame.with_columns(_source_key(mapping).is_first_distinct().alias(FIRST_KEY))


def _scope_reason(division_fields: list[str], scopes: tuple[str, ...]) -> Reason:
    """``division:out_of_scope`` on a row none of whose division fields lies in ``scopes``."""
    from padis.exchange.sources import in_scope_expr

    covered = pl.any_horizontal([in_scope_expr(name, list(scopes)) for name in division_fields])
    return _reason(~covered, "division:out_of_scope")


def validate(
    frame: pl.DataFrame,
    mapping: Mapping,
    *,
    today: dt.date | None = None,
    scopes: tuple[str, ...] | None = None,
) -> Validated:
    """Map ``frame`` (all text) onto the mapping's record and check every row against the dictionary.

    The record key is checked unique within ``frame``, or within the batch it was sliced from when
    :func:`mark_first_keys` marked that batch first. ``scopes`` (division codes; None = anywhere):
    a row is kept only when one of its division fields lies in them (registered or residence
    division: an agency may report the people it registers and the people who live in its area).
    """
    today = today or dt.date.today()
    rec = mapping.record_def
    mapped_fields = [f for f in rec.fields if mapping.source_of(f.name) is not None]
    raw_cols = {f.name: _clean(str(mapping.source_of(f.name))) for f in mapped_fields}
    marked = FIRST_KEY in frame.columns
    base = frame.select(
        pl.col(ROW_COLUMN),
        _source_key(mapping),
        *([pl.col(FIRST_KEY)] if marked else []),
        *(expr.alias(f"_raw_{name}") for name, expr in raw_cols.items()),
        *(
            [_date_expr(_clean(mapping.event_date), list(DEFAULT_DATE_FORMATS)).alias("_event_date_src")]
            if mapping.event_date
            else []
        ),
    )
    typed_exprs: list[pl.Expr] = []
    reason_exprs: list[Reason] = []
    warning_exprs: list[Reason] = []
    id_checks: dict[str, pl.DataFrame] = {}
    for f in mapped_fields:
        raw = pl.col(f"_raw_{f.name}")
        if f.type == "id_number":
            res = check_ids(base.get_column(f"_raw_{f.name}"), today=today)
            id_checks[f.name] = res
            base = base.with_columns(
                res.get_column("normalized").alias(f"_id_{f.name}"),
                res.get_column("error").alias(f"_iderr_{f.name}"),
                res.get_column("warning").alias(f"_idwarn_{f.name}"),
                res.get_column("birth_date").alias(f"_idbirth_{f.name}"),
                res.get_column("sex").alias(f"_idsex_{f.name}"),
            )
            typed_exprs.append(pl.col(f"_id_{f.name}").alias(f.name))
            err = pl.col(f"_iderr_{f.name}")
            reason_exprs.append(_reason(raw.is_not_null() & err.is_not_null(), pl.lit(f"{f.name}:") + err))
            warn = pl.col(f"_idwarn_{f.name}")
            warning_exprs.append(_reason(warn.is_not_null(), pl.lit(f"{f.name}:") + warn))
            if f.required:
                reason_exprs.append(_reason(raw.is_null(), f"required:{f.name}"))
            continue
        typed, reasons = _field_exprs(f, raw, mapping, today)
        typed_exprs.append(typed)
        reason_exprs.extend(reasons)
    out = base.with_columns(typed_exprs)
    # Cross-field rules: the identity number's birth date and sex agree with the fields; no death
    # before birth; the record key is unique in the file.
    cross: list[Reason] = []
    names = {f.name for f in mapped_fields}
    for id_field, (sex_field, birth_field) in _ID_PARTNERS.items():
        if id_field not in names:
            continue
        if sex_field in names:
            cross.append(
                _reason(
                    pl.col(sex_field).is_in(["1", "2"]) & (pl.col(sex_field) != pl.col(f"_idsex_{id_field}")),
                    f"{sex_field}:disagrees_with_id",
                )
            )
        if birth_field in names:
            cross.append(
                _reason(
                    pl.col(birth_field) != pl.col(f"_idbirth_{id_field}"), f"{birth_field}:disagrees_with_id"
                )
            )
    if {"death_date", "birth_date"} <= names:
        cross.append(_reason(pl.col("death_date") < pl.col("birth_date"), "death_date:before_birth"))
    elif "death_date" in names and "id_number" in names:
        cross.append(_reason(pl.col("death_date") < pl.col("_idbirth_id_number"), "death_date:before_birth"))
    if mapping.record_id:
        first = pl.col(FIRST_KEY) if marked else pl.col(SOURCE_KEY).is_first_distinct()
        cross.append(
            _reason(
                pl.col(SOURCE_KEY).is_not_null() & ~first,
                "record_id:duplicate_in_file",
            )
        )
    division_fields = [f.name for f in mapped_fields if f.type == "division"]
    if scopes is not None and division_fields:
        cross.append(_scope_reason(division_fields, scopes))
    all_reasons = reason_exprs + cross
    # Reasons and warnings as ';'-joined text (null when none): cheaper than list columns.
    out = _texts(_texts(out, all_reasons, REASONS), warning_exprs, WARNINGS)
    keep = [ROW_COLUMN, SOURCE_KEY, *[f.name for f in mapped_fields], REASONS, WARNINGS]
    if mapping.event_date:
        keep.append("_event_date_src")
    return Validated(out.select(keep), [f.name for f in mapped_fields])
