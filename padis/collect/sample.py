"""A synthetic public-security person extract with its mapping, made vectorised (tests, benchmarks).

``padis synth`` makes the realistic, linked population; this makes one large extract fast, with a
known share of bad rows, for collection tests and the collection benchmark.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import yaml

_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_CHECK = np.array(list("10X98765432"))
REGIONS = ("110101", "110102", "310101", "320102", "330102", "440103", "510104", "420102")
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华")

MAPPING = {
    "agency": "public_security",
    "record": "person",
    "record_id": "RYBH",
    "columns": {
        "GMSFHM": "id_number",
        "XM": "name",
        "XB": "sex",
        "CSRQ": "birth_date",
        "MZ": "ethnicity",
        "HYZK": "marital_status",
        "HKLB": "hukou_type",
        "HJDQ": "registered_division",
        "XZDQ": "residence_division",
        "RYZT": "status",
    },
    "codes": {"sex": {"男": "1", "女": "2"}, "status": {"正常": "active", "死亡": "deceased"}},
    "dates": {"birth_date": ["%Y%m%d", "%Y-%m-%d"]},
}


def make_ids(region: np.ndarray, birth: np.ndarray, seq: np.ndarray) -> np.ndarray:
    """18-digit identity numbers from region codes, birth dates (datetime64[D]) and sequences."""
    ymd = np.datetime_as_string(birth, unit="D")
    body = np.char.add(
        np.char.add(region.astype("U6"), np.char.replace(ymd, "-", "")), np.char.zfill(seq.astype("U3"), 3)
    )
    digits = np.frombuffer(body.astype("S17").tobytes(), dtype=np.uint8).reshape(-1, 17).astype(np.int64) - 48
    check = _CHECK[(digits * _WEIGHTS).sum(axis=1) % 11]
    return np.char.add(body, check)


def person_frame(n: int, *, seed: int = 7, bad_fraction: float = 0.02, start: int = 0) -> pl.DataFrame:
    """``n`` person rows as a public-security extract (local column names and codes)."""
    rng = np.random.default_rng(seed)
    region = np.array(REGIONS)[rng.integers(0, len(REGIONS), n)]
    birth = np.datetime64("1940-01-01") + rng.integers(0, 365 * 80, n).astype("timedelta64[D]")
    # Sequence numbers carry the row so numbers stay unique; odd = male.
    idx = np.arange(start, start + n)
    seq = (idx % 500) * 2 + rng.integers(0, 2, n)
    region = (
        np.char.add(region.astype("U4"), np.char.zfill(((idx // 500) % 99 + 1).astype("U2"), 2))
        if n > 500
        else region
    )
    known = pl.Series(region).is_in(_known_regions().implode()).to_numpy()
    region = np.where(known, region, np.array(REGIONS)[idx % len(REGIONS)])
    ids = make_ids(region, birth, seq)
    sex = np.where(seq % 2 == 1, "男", "女")
    name = np.char.add(
        np.array(SURNAMES)[rng.integers(0, len(SURNAMES), n)], np.array(GIVEN)[rng.integers(0, len(GIVEN), n)]
    )
    frame = pl.DataFrame(
        {
            "RYBH": np.char.add("P", idx.astype("U12")),
            "GMSFHM": ids,
            "XM": name,
            "XB": sex,
            "CSRQ": np.char.replace(np.datetime_as_string(birth, unit="D"), "-", ""),
            "MZ": np.where(rng.random(n) < 0.9, "01", "02"),
            "HYZK": np.array(["10", "20", "20", "30", "40"])[rng.integers(0, 5, n)],
            "HKLB": np.where(rng.random(n) < 0.6, "10", "20"),
            "HJDQ": region,
            "XZDQ": np.where(
                rng.random(n) < 0.8, region, np.array(REGIONS)[rng.integers(0, len(REGIONS), n)]
            ),
            "RYZT": np.full(n, "正常"),
        }
    )
    if bad_fraction > 0:
        bad = rng.random(n) < bad_fraction
        kind = rng.integers(0, 3, n)
        frame = frame.with_columns(
            pl.when(pl.Series(bad & (kind == 0)))
            .then(pl.col("GMSFHM").str.slice(0, 17) + "0")
            .otherwise("GMSFHM")
            .alias("GMSFHM"),
            pl.when(pl.Series(bad & (kind == 1))).then(pl.lit("未知")).otherwise("XB").alias("XB"),
            pl.when(pl.Series(bad & (kind == 2))).then(pl.lit("19991399")).otherwise("CSRQ").alias("CSRQ"),
        )
    return frame


def _known_regions() -> pl.Series:
    from padis.standards.divisions import get_divisions

    return get_divisions().validity_frame().get_column("code").cast(pl.String)


def write_extract(
    directory: Path,
    n: int,
    *,
    fmt: str = "parquet",
    seed: int = 7,
    bad_fraction: float = 0.02,
    name: str = "public_security__persons",
) -> tuple[Path, Path]:
    """Write ``DIR/extracts/<name>.<fmt>`` and ``DIR/mappings/<name>.yaml``; return both paths."""
    (directory / "extracts").mkdir(parents=True, exist_ok=True)
    (directory / "mappings").mkdir(parents=True, exist_ok=True)
    frame = person_frame(n, seed=seed, bad_fraction=bad_fraction)
    path = directory / "extracts" / f"{name}.{fmt}"
    if fmt == "parquet":
        frame.write_parquet(path)
    elif fmt == "csv":
        frame.write_csv(path)
    else:
        raise ValueError(fmt)
    mapping = directory / "mappings" / f"{name}.yaml"
    mapping.write_text(yaml.safe_dump(MAPPING, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path, mapping
