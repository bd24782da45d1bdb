"""End to end on synthetic data: quality, blocking recall, the hard identity-number constraint."""

from __future__ import annotations

import polars as pl

from padis.linkage import model as mdl
from padis.linkage.cluster import cluster, connected_components
from padis.linkage.evaluate import blocking_recall, score_clusters
from padis.linkage.pipeline import link


def _keys(prepared: pl.DataFrame) -> pl.DataFrame:
    return prepared.select("unique_id", (pl.col("__src") + "|" + pl.col("__rid")).alias("key"))


def _truth(truth: pl.DataFrame) -> pl.DataFrame:
    return truth.select((pl.col("dataset") + "|" + pl.col("record_id")).alias("key"), "person_id")


def test_quality_on_synthetic_records(fake_records, link_settings, trained) -> None:  # type: ignore[no-untyped-def]
    records, truth = fake_records
    prepared = mdl.prepare(records, link_settings)
    result = link(prepared, link_settings, model=trained)
    clusters = result.clusters.join(_keys(prepared), on="unique_id")
    valid = result.prepared.select(
        (pl.col("__src") + "|" + pl.col("__rid")).alias("key"),
        pl.col("id_number__valid_id").alias("valid_id"),
    )
    scores = score_clusters(clusters, _truth(truth), valid_id=valid)
    assert scores.f1 >= 0.98, scores.line()
    assert scores.precision >= 0.995, scores.line()
    assert scores.id_conflicts == 0


def test_blocking_keeps_true_pairs_with_few_comparisons(fake_records, link_settings, trained) -> None:  # type: ignore[no-untyped-def]
    records, truth = fake_records
    prepared = mdl.prepare(records, link_settings)
    every = mdl.predict(prepared, trained, threshold=0.0)
    recall, true_pairs = blocking_recall(every, _keys(prepared), _truth(truth))
    assert recall >= 0.995
    # Near-linear: the scored pairs stay within a small multiple of the record count.
    assert every.height < 5 * prepared.height
    assert true_pairs > 1000


def test_connected_components() -> None:
    labels = connected_components(
        6, __import__("numpy").array([0, 1, 4]), __import__("numpy").array([1, 2, 5])
    )
    assert labels.tolist() == [0, 0, 0, 3, 4, 4]


def test_two_valid_different_ids_never_merge() -> None:
    """A (valid X) — B (no id) — C (valid Y): the chain is cut at its weakest edge."""
    recs = pl.DataFrame({"unique_id": [1, 2, 3, 4], "v": ["X", None, "Y", "X"]})
    pairs = pl.DataFrame(
        {
            "unique_id_l": [1, 2, 1, 3],
            "unique_id_r": [2, 3, 3, 4],
            "match_probability": [0.99, 0.95, 0.999, 0.97],
        }
    )
    out = dict(cluster(recs, pairs, 0.9, valid_id="v").iter_rows())
    assert out[1] == out[2]  # strongest edge kept
    assert out[3] != out[1]  # 1–3 is a direct cannot-link, 2–3 would join X and Y
    assert out[4] != out[3]


def test_must_and_cannot_links() -> None:
    recs = pl.DataFrame({"unique_id": [1, 2, 3]})
    pairs = pl.DataFrame({"unique_id_l": [1], "unique_id_r": [2], "match_probability": [0.99]})
    must = pl.DataFrame({"unique_id_l": [3], "unique_id_r": [2]})
    cannot = pl.DataFrame({"unique_id_l": [2], "unique_id_r": [1]})
    out = dict(cluster(recs, pairs, 0.9, must_link=must, cannot_link=cannot).iter_rows())
    assert out[2] == out[3] and out[1] != out[2]
