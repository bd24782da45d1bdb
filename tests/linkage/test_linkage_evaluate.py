"""`padis link evaluate`: pairwise and cluster metrics and the threshold curve from files."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from padis.cli import app
from padis.linkage.evaluate import score_clusters


def test_scores_by_hand() -> None:
    truth = pl.DataFrame({"key": list("abcde"), "person_id": [1, 1, 1, 2, 2]})
    assign = pl.DataFrame({"key": list("abcde"), "cluster_id": [7, 7, 8, 8, 8]})
    s = score_clusters(assign, truth)
    # predicted pairs: ab, cd, ce, de = 4; true pairs: ab, ac, bc, de = 4; correct: ab, de = 2
    assert (s.predicted_pairs, s.true_pairs, s.correct_pairs) == (4, 4, 2)
    assert s.precision == 0.5 and s.recall == 0.5 and s.f1 == 0.5
    assert 0 < s.bcubed_precision < 1 and s.exact_clusters == 0.0


def test_cli_evaluate_files(tmp_path: Path, fake_records, link_settings, trained) -> None:  # type: ignore[no-untyped-def]
    from padis.linkage import model as mdl
    from padis.linkage.pipeline import link

    records, truth = fake_records
    result = link(mdl.prepare(records, link_settings), link_settings, model=trained)
    result.keyed_clusters().write_csv(tmp_path / "clusters.csv")
    result.keyed_pairs().select(
        "source_l", "record_id_l", "source_r", "record_id_r", "match_probability"
    ).write_csv(tmp_path / "pairs.csv")
    truth.write_parquet(tmp_path / "truth.parquet")
    out = CliRunner().invoke(
        app,
        [
            "link",
            "evaluate",
            "--truth",
            str(tmp_path / "truth.parquet"),
            "--clusters",
            str(tmp_path / "clusters.csv"),
            "--pairs",
            str(tmp_path / "pairs.csv"),
        ],
    )
    assert out.exit_code == 0, out.output
    assert "F1=0.99" in out.output or "F1=1.0" in out.output
    assert "threshold" in out.output and "0.9000" in out.output
