"""Deterministic synthetic identity numbers, valid and corrupted, for tests and benchmarks."""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import polars as pl

from padis.standards.idnumber import check_char
from padis.standards.idnumber_regions import get_region_lookup

CORRUPTIONS = (
    "substituted_digit",
    "transposed_digits",
    "bad_date",
    "unknown_region",
    "wrong_length",
    "bad_char",
    "fifteen_digit",
    "lowercase_x",
    "padded",
    "future_date",
    "ancient_date",
    "empty",
)


def valid_ids(
    n: int, *, seed: int = 0, first_year: int = 1930, last_year: int = 2024, in_force_share: float = 0.9
) -> pl.Series:
    """``n`` well-formed 18-digit numbers (right check character, real date, known code), column-wise.

    About ``in_force_share`` of them are born in a year their address code was in use (as most real
    numbers are); the rest take any year, so the region warnings occur too.
    """
    rng = np.random.default_rng(seed)
    regions = get_region_lookup().frame.sort("code")
    epoch = dt.date(1970, 1, 1)
    frame = regions.select("code", "first_year", "last_year")[rng.integers(0, regions.height, n)]
    low = pl.max_horizontal(pl.col("first_year"), pl.lit(first_year))
    high = pl.min_horizontal(pl.col("last_year"), pl.lit(last_year))
    in_force = pl.lit(pl.Series(rng.random(n) < in_force_share)) & (low <= high)
    frame = frame.with_columns(
        low=pl.when(in_force).then(low).otherwise(first_year),
        high=pl.when(in_force).then(high).otherwise(last_year),
    ).with_columns(
        start=(pl.date(pl.col("low"), 1, 1) - pl.lit(epoch)).dt.total_days(),
        stop=(pl.date(pl.col("high"), 12, 31) - pl.lit(epoch)).dt.total_days(),
        fraction=pl.lit(pl.Series(rng.random(n))),
        seq=pl.lit(pl.Series(rng.integers(0, 1000, n))),
    )
    day = (pl.col("start") + (pl.col("fraction") * (pl.col("stop") - pl.col("start") + 1)).floor()).cast(
        pl.Int32
    )
    body = pl.concat_str(
        pl.col("code"), day.cast(pl.Date).dt.strftime("%Y%m%d"), pl.col("seq").cast(pl.String).str.zfill(3)
    )
    value = (1 - 2 * (body.str.to_integer(base=13) % 11)) % 11
    char = pl.when(value == 10).then(pl.lit("X")).otherwise(value.cast(pl.String))
    return frame.select(pl.concat_str(body, char).alias("id_number"))["id_number"]


def _with_check(body17: str) -> str:
    return body17 + check_char(body17)


def corrupt(value: str, kind: str, rng: random.Random) -> str:
    """One corruption of a valid 18-digit number (see ``CORRUPTIONS``)."""
    if kind == "substituted_digit":
        pos = rng.randrange(18)
        digits = "0123456789X" if pos == 17 else "0123456789"
        return value[:pos] + rng.choice([d for d in digits if d != value[pos]]) + value[pos + 1 :]
    if kind == "transposed_digits":
        pos = rng.randrange(17)
        return value[:pos] + value[pos + 1] + value[pos] + value[pos + 2 :]
    if kind == "bad_date":
        mmdd = rng.choice(["1301", "0001", "0230", "0431", "0100", "0229", "1232", "0931"])
        year = value[6:10] if mmdd != "0229" else rng.choice(["1900", "1999", "2001", "2023"])
        return _with_check(value[:6] + year + mmdd + value[14:17])
    if kind == "unknown_region":
        known = get_region_lookup().bounds
        while (code := f"{rng.randrange(100_000, 1_000_000):06d}") in known:
            pass
        return _with_check(code + value[6:17])
    if kind == "wrong_length":
        return (
            value[: rng.choice([0, 1, 5, 14, 16, 17])]
            if rng.random() < 0.5
            else value + value[: rng.randint(1, 3)]
        )
    if kind == "bad_char":
        pos = rng.randrange(18)
        return value[:pos] + rng.choice("AOo-_.Z中１") + value[pos + 1 :]
    if kind == "fifteen_digit":
        return value[:6] + value[8:17]  # drop the century and the check character
    if kind == "lowercase_x":
        body = value[:14] + f"{rng.randrange(1000):03d}"
        while check_char(body) != "X":
            body = value[:14] + f"{rng.randrange(1000):03d}"
        return body + "x"
    if kind == "padded":
        return rng.choice([" ", "\t", "\u3000", "  "]) + value + rng.choice(["", " ", "\r", "\u3000"])
    if kind == "future_date":
        return _with_check(value[:6] + str(rng.randint(2031, 2099)) + value[10:17])
    if kind == "ancient_date":
        return _with_check(value[:6] + str(rng.randint(1000, 1799)) + value[10:17])
    if kind == "empty":
        return rng.choice(["", " ", "\u3000"])
    raise ValueError(f"unknown corruption {kind!r}")


def mixed_ids(n: int, *, seed: int = 0, corrupt_share: float = 0.5) -> list[str]:
    """``n`` numbers: about ``1 - corrupt_share`` valid, the rest corrupted in all ``CORRUPTIONS``."""
    rng = random.Random(seed)
    values = valid_ids(n, seed=seed).to_list()
    for i, value in enumerate(values):
        if rng.random() < corrupt_share:
            values[i] = corrupt(value, CORRUPTIONS[i % len(CORRUPTIONS)], rng)
    return values
