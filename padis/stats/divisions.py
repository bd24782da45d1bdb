"""Division hierarchy for roll-ups: county → prefecture → province, from padis.standards or a prefix rule."""

from __future__ import annotations

from functools import lru_cache

import polars as pl

LEVELS = ("nation", "province", "prefecture", "county")
LEVEL_LABELS = {"nation": "全部辖区", "province": "省", "prefecture": "市", "county": "县"}
ALL = "000000"  # the code of "every division of this node" (level nation)


def _prefix_frame(codes: list[str]) -> pl.DataFrame:
    """Fallback hierarchy from the GB/T 2260 code layout: 2 digits province, 4 prefecture, 6 county."""
    frame = pl.DataFrame({"code": codes}, schema={"code": pl.Utf8})
    return frame.with_columns(
        county=pl.col("code"),
        prefecture=pl.col("code").str.slice(0, 4) + "00",
        province=pl.col("code").str.slice(0, 2) + "0000",
        nation=pl.lit(ALL),
    )


def division_map(codes: list[str]) -> pl.DataFrame:
    """Map each county code to its county, prefecture and province codes (columns code, county, prefecture,
    province)."""
    codes = sorted({c for c in codes if c})
    base = _prefix_frame(codes)
    try:
        from padis.standards.divisions import get_divisions

        hier = get_divisions().hierarchy_frame().select(
            pl.col("code").cast(pl.Utf8), pl.col("prefecture_code").cast(pl.Utf8),
            pl.col("province_code").cast(pl.Utf8),
        )
    except Exception:  # noqa: BLE001 - standards not ready or without hierarchy: prefix rule is exact for GB/T 2260
        return base
    joined = base.join(hier, on="code", how="left")
    return joined.select(
        "code", "county",
        pl.coalesce("prefecture_code", "prefecture").alias("prefecture"),
        pl.coalesce("province_code", "province").alias("province"),
        "nation",
    )


def division_code(value: str) -> str:
    """A division given as 2, 4 or 6 digits (``13``, ``1301``, ``130102``) as its 6-digit code."""
    code = value.strip()
    if not code.isdigit() or len(code) not in (2, 4, 6):
        from padis.errors import InputError

        raise InputError(f"bad division code {value!r}", where="--division", why="2, 4 or 6 digits")
    return code.ljust(6, "0")


def level_of(code: str) -> str:
    """Level of a code by its layout (000000 all, province xx0000, prefecture xxxx00, else county)."""
    if code == ALL:
        return "nation"
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "prefecture"
    return "county"


def child_level(level: str) -> str | None:
    """The level one step below ``level`` (None under county)."""
    i = LEVELS.index(level)
    return LEVELS[i + 1] if i + 1 < len(LEVELS) else None


@lru_cache(maxsize=20_000)
def division_name(code: str) -> str:
    """Chinese name of a division from padis.standards, or the code itself when unknown."""
    if code == ALL:
        return LEVEL_LABELS["nation"]
    try:
        from padis.standards.divisions import get_divisions

        return get_divisions().name(code) or code
    except Exception:  # noqa: BLE001 - names are cosmetic; the code is always a valid label
        return code
