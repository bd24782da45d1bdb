"""GB 11643 citizen identity numbers built in bulk, consistent with place, birth date and sex."""

from __future__ import annotations

import numpy as np
import polars as pl

# ISO 7064 MOD 11-2: weight of position i (0-based) is 2^(17-i) mod 11.
WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
CHECK_CHARS = np.array(list("10X98765432"))


def _part_sums(values: np.ndarray, width: int, offset: int) -> np.ndarray:
    """Weighted digit sums of integers written with ``width`` digits starting at position ``offset``."""
    uniq, inverse = np.unique(values, return_inverse=True)
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    digits = (uniq[:, None] // powers) % 10
    return (digits * WEIGHTS[offset : offset + width]).sum(axis=1)[inverse]


def ymd_of(dates: np.ndarray) -> np.ndarray:
    """YYYYMMDD integers of datetime64 dates."""
    d = dates.astype("datetime64[D]")
    months = d.astype("datetime64[M]")
    years = months.astype("datetime64[Y]")
    return (
        (years.astype(np.int64) + 1970) * 10000
        + (months - years).astype(np.int64) * 100
        + 100
        + (d - months).astype(np.int64)
        + 1
    )


def id_keys(region: np.ndarray, birth: np.ndarray, seq: np.ndarray) -> np.ndarray:
    """The first 17 digits of each number as one int64."""
    return (region.astype(np.int64) * 100_000_000 + ymd_of(birth)) * 1000 + seq.astype(np.int64)


def draw_sequences(
    rng: np.random.Generator,
    region: np.ndarray,
    birth: np.ndarray,
    sex: np.ndarray,
    taken: np.ndarray | None = None,
) -> np.ndarray:
    """Sequence codes (odd for men, even for women), redrawn until every number is new and unique."""
    n = len(region)
    base = (region.astype(np.int64) * 100_000_000 + ymd_of(birth)) * 1000
    male = sex == "1"
    seq = np.empty(n, dtype=np.int64)
    todo = np.arange(n)
    taken_sorted = np.sort(taken) if taken is not None and taken.size else None
    while todo.size:
        draw = rng.integers(0, 500, todo.size) * 2
        seq[todo] = np.where(male[todo], draw + 1, draw)
        key = base + seq
        order = np.argsort(key, kind="stable")
        dup = np.zeros(n, dtype=bool)
        dup[order[1:][key[order][1:] == key[order][:-1]]] = True
        if taken_sorted is not None:
            pos = np.clip(np.searchsorted(taken_sorted, key), 0, taken_sorted.size - 1)
            dup |= taken_sorted[pos] == key
        todo = np.flatnonzero(dup)
    return seq


def check_chars_of(keys: np.ndarray) -> np.ndarray:
    """Check characters of 17-digit keys (ISO 7064 MOD 11-2)."""
    region, rest = keys // 100_000_000_000, keys % 100_000_000_000
    ymd, seq = rest // 1000, rest % 1000
    total = _part_sums(region, 6, 0) + _part_sums(ymd, 8, 6) + _part_sums(seq, 3, 14)
    return CHECK_CHARS[total % 11]


def id_strings(keys: np.ndarray) -> tuple[pl.Series, pl.Series]:
    """18-digit numbers and their 15-digit forms (no century, no check character) from 17-digit keys."""
    body = pl.Series("k", keys).cast(pl.String).str.zfill(17)
    check = pl.Series("c", check_chars_of(keys))
    frame = pl.DataFrame([body, check]).select(
        id_number=pl.concat_str("k", "c"),
        id_number_15=pl.concat_str(pl.col("k").str.slice(0, 6), pl.col("k").str.slice(8, 9)),
    )
    return frame["id_number"], frame["id_number_15"]


def is_valid_18(ids: pl.Series) -> pl.Series:
    """True where a value has 17 digits, a real date and the right check character."""
    frame = pl.DataFrame({"v": ids.cast(pl.String)})
    shape = pl.col("v").str.contains(r"^\d{17}[\dX]$").fill_null(False)
    total = sum(
        pl.col("v").str.slice(i, 1).cast(pl.Int64, strict=False) * int(w) for i, w in enumerate(WEIGHTS)
    )
    out = frame.select(
        ok=shape
        & (
            pl.col("v").str.slice(17, 1)
            == (total % 11).replace_strict(
                dict(enumerate(CHECK_CHARS.tolist())), default=None, return_dtype=pl.String
            )
        )
        & pl.col("v").str.slice(6, 8).str.to_date("%Y%m%d", strict=False).is_not_null(),
    )
    return out["ok"].fill_null(False)
