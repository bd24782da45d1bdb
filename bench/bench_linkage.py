"""Benchmark: link all agency extracts of `padis synth` data; quality vs truth, seconds, peak memory.

    .venv/bin/python bench/bench_linkage.py --synth /tmp/syn1m [--persons 370000] [--incremental 10000]

Generates the synth folder first if it does not exist. Prints precision/recall/F1, blocking recall,
seconds per stage, peak memory, and the time of an incremental batch against everything else.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from padis.linkage import incremental as inc
from padis.linkage import model as mdl
from padis.linkage.cluster import cluster
from padis.linkage.evaluate import blocking_recall, score_clusters
from padis.linkage.pipeline import valid_id_column, with_valid_id
from padis.linkage.settings import person_settings
from padis.linkage.sources import load_synth, load_truth


def peak_gib() -> float:
    """Peak resident memory of this process and its children, GiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024 / 1024


def main() -> None:
    """Run the benchmark."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--synth", type=Path, required=True)
    ap.add_argument("--persons", type=int, default=370_000)
    ap.add_argument("--incremental", type=int, default=10_000)
    ap.add_argument("--blocking", action="store_true", help="Also measure blocking recall (extra scoring).")
    args = ap.parse_args()
    if not (args.synth / "extracts").is_dir():
        subprocess.run(
            [
                str(Path(sys.executable).parent / "padis"),
                "synth",
                "--persons",
                str(args.persons),
                "--out",
                str(args.synth),
            ],
            check=True,
        )
    settings = person_settings()
    stages: dict[str, float] = {}
    t0 = time.perf_counter()
    frame = load_synth(args.synth)
    stages["load"] = time.perf_counter() - t0
    t = time.perf_counter()
    prepared = mdl.prepare(frame, settings, where=str(args.synth))
    stages["features"] = time.perf_counter() - t
    t = time.perf_counter()
    model = mdl.train(prepared, settings)
    stages["train (EM)"] = time.perf_counter() - t
    t = time.perf_counter()
    pairs = mdl.predict(prepared, model)
    stages["score pairs"] = time.perf_counter() - t
    t = time.perf_counter()
    recs = with_valid_id(prepared, settings)
    clusters = cluster(recs, pairs, settings.match_threshold, valid_id=valid_id_column(settings))
    stages["cluster"] = time.perf_counter() - t
    total = time.perf_counter() - t0
    peak_full = peak_gib()

    truth = load_truth(args.synth)
    keys = recs.select("unique_id", (pl.col("__src") + "|" + pl.col("__rid")).alias("key"))
    valid = recs.select(
        (pl.col("__src") + "|" + pl.col("__rid")).alias("key"),
        pl.col(valid_id_column(settings)).alias("valid_id"),
    )
    scores = score_clusters(clusters.join(keys, on="unique_id"), truth, valid_id=valid)
    print(
        f"records {frame.height:,}  persons (truth) {truth['person_id'].n_unique():,}  "
        f"clusters {clusters['cluster_id'].n_unique():,}"
    )
    print(f"pairs scored ≥ review band {pairs.height:,}")
    print("pairwise " + scores.line())
    print(f"clusters holding two different valid ID numbers: {scores.id_conflicts}")
    for name, secs in stages.items():
        print(f"  {name:<12} {secs:7.1f} s")
    print(f"full linkage {total:.1f} s, peak memory {peak_full:.2f} GiB")
    block = None
    if args.blocking:
        every = mdl.predict(prepared, model, threshold=0.0)
        block = blocking_recall(every, keys, truth)
        print(
            f"blocking recall {block[0]:.4f} of {block[1]:,} true pairs; {every.height:,} pairs "
            f"({every.height / frame.height:.2f} per record)"
        )

    # Incremental: the last N records arrive as a new batch against everything else, linked already.
    n_new = min(args.incremental, frame.height // 10)
    batch = frame.sample(n_new, seed=3)
    rest = frame.join(batch.select("dataset", "record_id"), on=["dataset", "record_id"], how="anti")
    folder = Path(tempfile.mkdtemp(prefix="padis-link-bench-"))
    try:
        inc.link_full(folder, mdl.prepare(rest, settings), settings, model=model)
        state = inc.LinkState.load(folder)
        t = time.perf_counter()
        state, new_pairs = inc.link_incremental(state, batch)
        inc_secs = time.perf_counter() - t
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    inc_scores = score_clusters(state.persons.rename({"person_id": "cluster_id"}), truth)
    print(
        f"incremental {n_new:,} vs {rest.height:,}: {inc_secs:.1f} s (incl. state load/save), "
        f"{new_pairs.height:,} pairs; after: {inc_scores.line()}"
    )
    print(f"peak memory overall {peak_gib():.2f} GiB")


if __name__ == "__main__":
    main()
