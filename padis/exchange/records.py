"""Shared by mutual verification and supplementation: an agency's records joined to the register."""

from __future__ import annotations

import polars as pl
from sqlalchemy import Engine

from padis.errors import InputError
from padis.exchange.sources import PERSON_FIELDS, in_scope_expr, read_persons
from padis.security.policy import Grant
from padis.standards.idnumber import check_ids
from padis.verify.core import ALIASES

MAX_RECORDS = 200_000


def record_fields(records: pl.DataFrame) -> list[str]:
    """Person fields the records carry besides the ID number (named as in the dictionary)."""
    return [c for c in records.columns if c in PERSON_FIELDS and c != "id_number"]


def prepare(records: pl.DataFrame) -> pl.DataFrame:
    """Records with ``id_number`` (aliases accepted), a ``_row`` and every column as text."""
    lower = {c.lower().strip(): c for c in records.columns}
    for alias in ALIASES["id_number"]:
        if alias in lower:
            records = records.rename({lower[alias]: "id_number"})
            break
    if "id_number" not in records.columns:
        raise InputError("column 'id_number' missing", where="records")
    if records.height > MAX_RECORDS:
        raise InputError(f"more than {MAX_RECORDS} records", where="records", why="split the batch")
    if "_row" not in records.columns:
        records = records.with_row_index("_row", offset=1)
    return records.with_columns(
        [pl.col(c).cast(pl.String) for c in records.columns if c != "_row"]
    ).with_columns(pl.col("_row").cast(pl.Int64))


def join_register(engine: Engine, records: pl.DataFrame, grant: Grant, fields: list[str]) -> pl.DataFrame:
    """Records left-joined to the register on the normalized ID; register values as ``reg_<field>``.

    Adds ``_key`` (normalized ID), ``person_id`` and ``_scope`` (person within the grant's divisions).
    """
    checks = check_ids(records["id_number"])
    work = records.with_columns(_key=checks["normalized"], id_error=checks["error"])
    with engine.connect() as conn:
        reg = read_persons(
            conn,
            (
                "person_id",
                "id_number",
                "registered_division",
                "residence_division",
                *[f for f in fields if f not in ("id_number", "registered_division", "residence_division")],
            ),
        )
    scopes = list(grant.divisions) if grant.divisions is not None else None
    reg = (
        reg.with_columns(
            _scope=in_scope_expr("registered_division", scopes) | in_scope_expr("residence_division", scopes),
            **{f"reg_{f}": pl.col(f).cast(pl.String) for f in fields},
        )
        .select("id_number", "person_id", "_scope", *[f"reg_{f}" for f in fields])
        .rename({"id_number": "_key"})
    )
    return work.join(reg, on="_key", how="left", maintain_order="left")


def norm_text(expr: pl.Expr, field: str) -> pl.Expr:
    """A value as compared: trimmed; dates read in the usual formats and written ISO."""
    s = expr.cast(pl.String).str.strip_chars()
    if field in ("birth_date", "death_date"):
        d = pl.coalesce(
            s.str.to_date("%Y-%m-%d", strict=False),
            s.str.to_date("%Y%m%d", strict=False),
            s.str.to_date("%Y/%m/%d", strict=False),
        )
        return pl.when(d.is_not_null()).then(d.cast(pl.String)).when(s == "").then(None).otherwise(s)
    return pl.when(s == "").then(None).otherwise(s)
