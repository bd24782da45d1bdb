"""Supplementation: fill the fields an agency's records lack from the register, within its agreement."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from sqlalchemy import Engine

from padis.exchange.records import join_register, norm_text, prepare, record_fields
from padis.exchange.sources import mask_columns
from padis.security.policy import Grant


@dataclass
class SupplementResult:
    """The records with empty fields filled, how many cells were filled, persons touched."""

    records: pl.DataFrame
    filled: int
    person_ids: list[int]


def supplement(engine: Engine, grant: Grant, records: pl.DataFrame) -> SupplementResult:
    """Fill empty cells of granted fields from the register (persons outside the grant stay as they are)."""
    recs = prepare(records)
    fields = [f for f in record_fields(recs) if f in grant.fields]
    joined = join_register(engine, recs, grant, fields)
    usable = pl.col("person_id").is_not_null() & pl.col("_scope").fill_null(False)
    filled_cells = 0
    exprs = []
    for f in fields:
        empty = norm_text(pl.col(f), f).is_null()
        take = empty & usable & pl.col(f"reg_{f}").is_not_null()
        filled_cells += int(joined.select(take.sum()).item() or 0)
        exprs.append(pl.when(take).then(pl.col(f"reg_{f}")).otherwise(pl.col(f)).alias(f))
    out = joined.with_columns(exprs)
    if grant.clearance != "secret":
        out = mask_columns(out, fields, grant.clearance)
    touched = joined.filter(usable)["person_id"].cast(pl.Int64).to_list()
    keep = [c for c in recs.columns if c != "_row"]
    return SupplementResult(out.select(["_row", *keep]).rename({"_row": "row"}), filled_cells, touched)
