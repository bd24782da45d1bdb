"""Rapid surveys: draw a stratified or cluster sample from the register, estimate from the responses.

Selection and estimation use ``svy`` (design-based, Taylor linearisation, finite population correction
from the population sizes). The sample file carries the design in fixed columns: ``stratum``, ``psu``,
``weight`` (1 / inclusion probability) and ``pop_size`` (units in the stratum: persons for a stratified
element sample, clusters for a cluster sample), so ``estimate`` needs nothing else.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from padis.errors import InputError
from padis.stats.snapshot import Snapshot

DESIGNS = ("stratified", "cluster")


def sampling_frame(snapshot: Snapshot, on: dt.date) -> pl.DataFrame:
    """Persons alive at ``on`` with county, prefecture, sex and age: the frame to sample from."""
    p = snapshot.persons.filter(
        (pl.col("birth_date") <= on) & (pl.col("death_date").is_null() | (pl.col("death_date") > on))
        & pl.col("residence_division").is_not_null())
    before = (pl.col("birth_date").dt.month() > on.month) | (
        (pl.col("birth_date").dt.month() == on.month) & (pl.col("birth_date").dt.day() > on.day))
    return p.select(
        "person_id", pl.col("residence_division").alias("county"),
        (pl.col("residence_division").str.slice(0, 4) + "00").alias("prefecture"),
        "sex", (on.year - pl.col("birth_date").dt.year() - before.cast(pl.Int32)).alias("age"),
        "marital_status", "hukou_type")


def draw_sample(frame: pl.DataFrame, *, design: str = "stratified", stratum: str = "county",
                cluster: str | None = None, n: int = 30, seed: int = 1) -> pl.DataFrame:
    """Select ``n`` persons per stratum (stratified) or ``n`` clusters per stratum (cluster, all members)."""
    import svy

    if design not in DESIGNS:
        raise InputError(f"unknown design {design!r}", where="--design", why="stratified or cluster")
    for col in [stratum] + ([cluster] if cluster else []):
        if col not in frame.columns:
            raise InputError(f"no column {col!r} in the frame", where="survey sample",
                             why=f"columns: {', '.join(frame.columns)}")
    if n < 1:
        raise InputError("sample size must be at least 1", where="--n", why=f"got {n}")
    if frame.height == 0:
        raise InputError("nobody to sample", where="survey sample", why="no persons in the register/division")
    frame = frame.with_columns(pl.col(stratum).cast(pl.Utf8).alias("stratum"))
    if design == "stratified":
        sizes = frame.group_by("stratum").len()
        take = {r["stratum"]: min(n, r["len"]) for r in sizes.iter_rows(named=True)}
        drawn = svy.Sample(frame, svy.Design(stratum="stratum")).sampling.srs(n=take, rstate=seed)
        out = drawn.data.join(sizes.rename({"len": "pop_size"}), on="stratum").with_columns(
            pl.col("person_id").cast(pl.Utf8).alias("psu"))
    else:
        if not cluster:
            raise InputError("a cluster sample needs --cluster", where="survey sample", why="name a column")
        clusters = frame.group_by("stratum", cluster).len("members")
        counts = clusters.group_by("stratum").len("pop_size")
        take = {r["stratum"]: min(n, r["pop_size"]) for r in counts.iter_rows(named=True)}
        chosen = svy.Sample(clusters, svy.Design(stratum="stratum")).sampling.srs(n=take, rstate=seed).data
        out = frame.join(chosen.select("stratum", cluster, "svy_prob_selection", "svy_sample_weight"),
                         on=["stratum", cluster]).join(counts, on="stratum").with_columns(
            pl.col(cluster).cast(pl.Utf8).alias("psu"))
    out = out.rename({"svy_sample_weight": "weight", "svy_prob_selection": "prob"})
    keep = ["person_id", "stratum", "psu", "weight", "prob", "pop_size"]
    rest = [c for c in frame.columns if c not in keep and c in out.columns]
    return out.select(*keep, *rest).with_columns(pl.lit(design).alias("design")).sort("stratum", "psu",
                                                                                      "person_id")


def estimate(sample: pl.DataFrame, responses: pl.DataFrame, variables: list[str], *,
             kind: str = "mean", by: str | None = None, alpha: float = 0.05) -> pl.DataFrame:
    """Design-based estimates (est, se, lci, uci, cv, df, n) of each variable's mean, total or proportion.

    Responses join the sample on person_id; non-respondents leave the estimate (no weight adjustment).
    """
    import svy

    if kind not in ("mean", "total", "prop"):
        raise InputError(f"unknown estimate {kind!r}", where="--kind", why="mean, total or prop")
    missing = [v for v in variables if v not in responses.columns]
    if missing or "person_id" not in responses.columns:
        raise InputError(f"responses lack column(s) {missing or ['person_id']}", where="responses",
                         why=f"columns: {', '.join(responses.columns)}")
    resp = responses.select(pl.col("person_id").cast(pl.Int64), *[pl.col(v) for v in variables])
    data = sample.with_columns(pl.col("person_id").cast(pl.Int64)).drop(
        [v for v in variables if v in sample.columns]).join(resp, on="person_id", how="inner")
    if data.height == 0:
        raise InputError("no response matches the sample", where="responses", why="person_id values differ")
    data = data.with_columns(pl.col("psu").cast(pl.Utf8), pl.col("stratum").cast(pl.Utf8),
                             pl.col("pop_size").cast(pl.Float64), pl.col("weight").cast(pl.Float64))
    design = svy.Design(stratum="stratum", psu="psu", wgt="weight", pop_size="pop_size")
    smp = svy.Sample(data, design)
    frames = []
    for var in variables:
        method = getattr(smp.estimation, kind)
        kwargs = {"alpha": alpha, "drop_nulls": True}
        if by:
            kwargs["by"] = by
        res = method(var, **kwargs).to_polars()
        if kind == "prop":
            res = res.rename({var: "level"}).with_columns(pl.col("level").cast(pl.Utf8))
        frames.append(res.with_columns(pl.lit(var).alias("variable"), pl.lit(kind).alias("estimate")))
    out = pl.concat(frames, how="diagonal_relaxed")
    first = ["variable", "estimate"] + ([by] if by else []) + (["level"] if kind == "prop" else [])
    return out.select(*first, "est", "se", "lci", "uci", "cv", "df", "n")


def read_frame(path: str | Path) -> pl.DataFrame:
    """Read a sample or responses file (Parquet, CSV or XLSX)."""
    p = Path(path)
    if not p.exists():
        raise InputError("file not found", where=str(p), why="check the path")
    suffix = p.suffix.lower()
    if suffix == ".parquet":
        return pl.read_parquet(p)
    if suffix == ".xlsx":
        from padis.stats.export import read_xlsx

        return read_xlsx(p)
    try:
        from padis.fileio import read_table  # type: ignore[import-not-found]
    except ImportError:
        return pl.read_csv(p, infer_schema_length=10_000)
    return _numeric(read_table(p).frame.drop("_row", strict=False))


def _numeric(frame: pl.DataFrame) -> pl.DataFrame:
    """Cast text columns whose every non-empty value is a number to Float64 (fileio reads all as text)."""
    casts = []
    for col, dtype in frame.schema.items():
        if dtype != pl.Utf8:
            continue
        text = frame.get_column(col).str.strip_chars().replace("", None)
        as_num = text.cast(pl.Float64, strict=False)
        if as_num.null_count() == text.null_count() and text.null_count() < frame.height:
            casts.append(as_num.alias(col))
    return frame.with_columns(casts) if casts else frame


def write_frame(frame: pl.DataFrame, path: str | Path) -> Path:
    """Write a frame as Parquet, CSV or XLSX by suffix."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    suffix = p.suffix.lower()
    if suffix == ".parquet":
        frame.write_parquet(p)
    elif suffix == ".xlsx":
        frame.write_excel(p)
    else:
        frame.write_csv(p)
    return p
