"""Mutual verification: per record and field, each discrepancy with the register and its source."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from sqlalchemy import Engine

from padis.exchange.records import join_register, norm_text, prepare, record_fields
from padis.exchange.sources import authority
from padis.security.policy import Grant

STATUS = {
    "differs": "与登记库不一致",
    "not_found": "库中无此身份证号",
    "id_invalid": "身份证号无效",
    "out_of_scope": "不在授权范围",
    "missing_in_register": "登记库无此项",
}


@dataclass
class MutualResult:
    """Discrepancies (one row per record x field) plus per-record status and persons touched."""

    discrepancies: pl.DataFrame
    records: int
    matched: int
    person_ids: list[int]


def mutual_verify(engine: Engine, grant: Grant, records: pl.DataFrame) -> MutualResult:
    """Compare ``records`` (id_number + dictionary fields) with the register within ``grant``."""
    recs = prepare(records)
    fields = [f for f in record_fields(recs) if f in grant.fields]
    joined = join_register(engine, recs, grant, fields)
    status = (
        pl.when(pl.col("id_error").is_not_null())
        .then(pl.lit("id_invalid"))
        .when(pl.col("person_id").is_null())
        .then(pl.lit("not_found"))
        .when(~pl.col("_scope").fill_null(False))
        .then(pl.lit("out_of_scope"))
    )
    joined = joined.with_columns(_status=status)
    row_level = joined.filter(pl.col("_status").is_not_null()).select(
        pl.col("_row").alias("row"),
        pl.lit(None, pl.String).alias("field"),
        pl.lit(None, pl.String).alias("submitted"),
        pl.lit(None, pl.String).alias("register_value"),
        pl.lit(None, pl.String).alias("authority"),
        pl.col("_status").alias("status"),
    )
    ok = joined.filter(pl.col("_status").is_null())
    parts = [row_level]
    for f in fields:
        sub, reg = norm_text(pl.col(f), f), norm_text(pl.col(f"reg_{f}"), f)
        diff = ok.filter(sub.is_not_null() & (reg.is_null() | (sub != reg))).select(
            pl.col("_row").alias("row"),
            pl.lit(f).alias("field"),
            sub.alias("submitted"),
            reg.alias("register_value"),
            pl.lit(authority(f)).alias("authority"),
            pl.when(reg.is_null())
            .then(pl.lit("missing_in_register"))
            .otherwise(pl.lit("differs"))
            .alias("status"),
        )
        parts.append(diff)
    out = pl.concat(parts).sort("row", "field", nulls_last=False)
    out = out.with_columns(status_label=pl.col("status").replace_strict(STATUS, default=None))
    person_ids = ok["person_id"].drop_nulls().cast(pl.Int64).to_list()
    return MutualResult(out, recs.height, ok.height, person_ids)
