"""Indicators computed on `padis synth` data match the generator's calibration targets."""

from __future__ import annotations

import polars as pl
import pytest

from padis.stats.indicators import compute_indicators
from padis.stats.snapshot import from_synth

cal = pytest.importorskip("padis.synth.calibration")
generate = pytest.importorskip("padis.synth.generate")


@pytest.fixture(scope="module")
def synth_snapshot(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    generate.generate(generate.SynthConfig(out=out, persons=60_000, provinces=["11", "13"],
                                           years=(2021, 2025), seed=11))
    return from_synth(out)


def test_snapshot_from_synth(synth_snapshot):
    assert synth_snapshot.persons.height >= 60_000   # the base population plus those born since
    assert synth_snapshot.births.filter(pl.col("birth_date").dt.year() >= 2021).height > 1000
    assert synth_snapshot.moves.height > 0


def test_indicators_match_calibration(synth_snapshot):
    res = compute_indicators(synth_snapshot, "2021-2025", level="province",
                             indicators=["SRB", "TFR", "POP_AGE_SEX", "POP"])
    # pool the five years and both provinces for the sex ratio at birth (≈ 3,000 births: SE ≈ 4)
    births = res.filter(pl.col("indicator") == "SRB").select(pl.col("numerator").sum(),
                                                              pl.col("denominator").sum()).row(0)
    srb = births[0] / births[1] * 100
    assert srb == pytest.approx(cal.SEX_RATIO_AT_BIRTH, abs=12)
    tfr = res.filter(pl.col("indicator") == "TFR").get_column("value").mean()
    assert tfr == pytest.approx(cal.TFR, abs=0.2)
    ages = res.filter((pl.col("indicator") == "POP_AGE_SEX") & (pl.col("period") == "2021"))
    total = ages.get_column("value").sum()
    young = ages.filter(pl.col("age").is_in(["0-4", "5-9", "10-14"])).get_column("value").sum()
    old = ages.filter(pl.col("age").str.extract(r"^(\d+)").cast(pl.Int32) >= 60).get_column("value").sum()
    assert young / total * 100 == pytest.approx(cal.SHARE_0_14, abs=2.5)
    assert old / total * 100 == pytest.approx(cal.SHARE_60_PLUS, abs=2.5)
    pop = res.filter((pl.col("indicator") == "POP") & (pl.col("period") == "2021")).get_column("value").sum()
    assert pop == pytest.approx(total)
