"""Service functions behind ``padis link``: read files, link, write pairs/clusters, evaluate."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl
from sqlalchemy import Engine

from padis.errors import InputError
from padis.linkage import model as mdl
from padis.linkage import review
from padis.linkage.evaluate import Scores, score_clusters, threshold_curve
from padis.linkage.pipeline import LinkResult, link, valid_id_column
from padis.linkage.settings import LinkSettings, person_settings
from padis.linkage.sources import load_synth, load_truth

CURVE_THRESHOLDS = [0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999]


def read_input(path: str | Path) -> pl.DataFrame:
    """Read a person file (CSV/TSV/XLSX/JSONL/Parquet, UTF-8 or GB18030) as text columns."""
    p = Path(path)
    if not p.is_file():
        raise InputError("file not found", where=str(p))
    if p.stat().st_size == 0:
        raise InputError("empty file", where=str(p), why="0 bytes")
    try:
        from padis.fileio import read_table
    except ImportError:  # pragma: no cover - fileio absent
        return pl.read_csv(p, infer_schema=False)
    frame = read_table(p).frame
    return frame.drop("_row") if "_row" in frame.columns else frame


def write_frame(frame: pl.DataFrame, path: str | Path) -> Path:
    """Write CSV or Parquet by suffix."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    if p.suffix.lower() == ".parquet":
        frame.write_parquet(p)
    else:
        frame.write_csv(p)
    return p


def dedupe(
    path: str | Path,
    settings: LinkSettings,
    *,
    engine: str = "duckdb",
    threshold: float | None = None,
    model_dir: str | Path | None = None,
    review_db: Engine | None = None,
) -> LinkResult:
    """Find duplicates within one file; with ``review_db``, honour past decisions and queue new questions."""
    frame = read_input(path)
    prepared = mdl.prepare(frame, settings, source=Path(path).stem, where=str(path))
    model = (
        mdl.LinkModel.load(model_dir) if model_dir and (Path(model_dir) / "padis.json").is_file() else None
    )
    if model is not None:
        model.settings = settings
    must = cannot = None
    if review_db is not None:
        must_keys, cannot_keys = review.decided_pairs(review_db)
        must, cannot = review.to_unique_ids(must_keys, prepared), review.to_unique_ids(cannot_keys, prepared)
    result = link(
        prepared,
        settings,
        engine=engine,
        threshold=threshold,
        model=model,
        must_link=must,
        cannot_link=cannot,
    )
    if review_db is not None:
        match = settings.match_threshold if threshold is None else threshold
        result.queued = review.queue(
            review_db, result.keyed_pairs(), result.model, settings.review_low, match
        )
    return result


def between(
    a: str | Path,
    b: str | Path,
    settings: LinkSettings,
    *,
    engine: str = "duckdb",
    threshold: float | None = None,
) -> LinkResult:
    """Link two files: pairs across them only."""
    fa, fb = read_input(a), read_input(b)
    sa, sb = Path(a).stem, Path(b).stem
    if sa == sb:
        sa, sb = f"{sa}_a", f"{sb}_b"
    pa = mdl.prepare(fa, settings, source=sa, where=str(a))
    pb = mdl.prepare(fb, settings, source=sb, where=str(b), offset=pa.height)
    # The source column, when the settings name one, must not make a file's rows look like two sources.
    pa, pb = pa.with_columns(pl.lit(sa).alias("__src")), pb.with_columns(pl.lit(sb).alias("__src"))
    return link(pl.concat([pa, pb]), settings, engine=engine, threshold=threshold, between=True)


@dataclass
class SynthRun:
    """Linkage of all extracts of a synth folder and its scores."""

    result: LinkResult
    truth: pl.DataFrame
    scores: Scores
    records: int


def link_synth(folder: str | Path, *, engine: str = "duckdb", threshold: float | None = None) -> SynthRun:
    """Link every extract of ``padis synth`` output together and score it against the truth."""
    frame = load_synth(folder)
    settings = person_settings()
    prepared = mdl.prepare(frame, settings, where=str(folder))
    result = link(prepared, settings, engine=engine, threshold=threshold)
    truth = load_truth(folder)
    clusters = result.keyed_clusters().select(
        (pl.col("source") + "|" + pl.col("record_id")).alias("key"), "cluster_id"
    )
    vcol = valid_id_column(settings)
    valid = result.prepared.select(
        (pl.col("__src") + "|" + pl.col("__rid")).alias("key"), pl.col(vcol).alias("valid_id")
    )
    return SynthRun(result, truth, score_clusters(clusters, truth, valid_id=valid), frame.height)


def curve_for(result: LinkResult, truth: pl.DataFrame, settings: LinkSettings) -> pl.DataFrame:
    """Threshold curve of a run against the truth."""
    keys = result.prepared.select("unique_id", (pl.col("__src") + "|" + pl.col("__rid")).alias("key"))
    return threshold_curve(
        result.prepared, result.pairs, keys, truth, CURVE_THRESHOLDS, valid_id=valid_id_column(settings)
    )


def evaluate_files(
    truth_path: str | Path, clusters_path: str | Path, pairs_path: str | Path | None = None
) -> tuple[Scores, pl.DataFrame | None]:
    """Score a clusters file (source, record_id, cluster_id) and, with pairs, a threshold curve."""
    truth = load_truth(truth_path)
    c = read_input(clusters_path)
    need = {"source", "record_id", "cluster_id"}
    if not need <= set(c.columns):
        raise InputError(
            "clusters file lacks columns", where=str(clusters_path), why="needs " + ", ".join(need)
        )
    clusters = c.select((pl.col("source") + "|" + pl.col("record_id")).alias("key"), pl.col("cluster_id"))
    scores = score_clusters(clusters, truth)
    curve = None
    if pairs_path:
        p = read_input(pairs_path)
        keys = (
            clusters.select("key")
            .unique()
            .with_row_index("unique_id")
            .with_columns(pl.col("unique_id").cast(pl.Int64))
        )
        pairs = (
            p.select(
                (pl.col("source_l") + "|" + pl.col("record_id_l")).alias("kl"),
                (pl.col("source_r") + "|" + pl.col("record_id_r")).alias("kr"),
                pl.col("match_probability").cast(pl.Float64),
            )
            .join(keys.rename({"key": "kl", "unique_id": "unique_id_l"}), on="kl")
            .join(keys.rename({"key": "kr", "unique_id": "unique_id_r"}), on="kr")
        )
        curve = threshold_curve(keys.select("unique_id"), pairs, keys, truth, CURVE_THRESHOLDS)
    return scores, curve
