"""Statistics from the register agree with the ground truth of the synthetic province it was built from.

Every synth extract (with its injected errors) is collected and the register built by identity number;
the indicators computed from the register snapshot are then compared with those from the truth. The
register has lost the quarantined rows, so the tolerances are a few per cent, not zero.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine

from padis.collect.service import collect_file
from padis.register.identity import IdNumberResolver
from padis.register.service import rebuild_all
from padis.stats.indicators import compute_indicators
from padis.stats.snapshot import Snapshot, from_register, from_synth
from padis.synth.generate import SynthConfig, generate

INDICATORS = ["POP", "BIRTHS", "DEATHS", "FLOAT_IN", "TFR", "SRB", "REWARD"]


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "synth"
    generate(SynthConfig(out=out, persons=12_000, provinces=["11", "13"], years=(2022, 2024), seed=11))
    return out


def _figures(snapshot: Snapshot) -> dict[str, float]:
    res = compute_indicators(snapshot, "2022-2024", level="province", indicators=INDICATORS)
    res = res.filter((pl.col("ref_area") == "130000") & (pl.col("sex") == "_T") & (pl.col("age") == "_T"))
    # the three years together: counts summed, rates averaged
    return {
        r["indicator"]: r["value"]
        for r in res.group_by("indicator")
        .agg(
            pl.when(pl.col("indicator").first().is_in(["BIRTHS", "DEATHS", "FLOAT_IN", "REWARD"]))
            .then(pl.col("value").sum())
            .otherwise(pl.col("value").mean())
            .alias("value")
        )
        .iter_rows(named=True)
    }


def _moves(snapshot: Snapshot) -> int:
    return snapshot.moves.filter(pl.col("move_date").dt.year().is_between(2022, 2024)).height


def test_register_statistics_match_the_truth(engine: Engine, province: Path) -> None:
    for path in sorted((province / "extracts").glob("*.parquet")):
        collect_file(engine, path, path.stem.split("__", 1)[0], apply=False)
    rebuild_all(engine, resolver=IdNumberResolver())
    register = from_register(engine)
    got, truth = _figures(register), _figures(from_synth(province))

    # persons whose records give no birth date or sex take them from their identity number, those no
    # record places count where their school or insurance is; the rest of the gap is quarantined rows
    assert got["POP"] == pytest.approx(truth["POP"], rel=0.04)
    # one birth per birth certificate (a newborn without an ID number counts), one death per person
    # (health and civil affairs both report most deaths), one move per move (two agencies report many)
    assert got["BIRTHS"] == pytest.approx(truth["BIRTHS"], rel=0.06)
    assert got["DEATHS"] == pytest.approx(truth["DEATHS"], rel=0.08)
    assert _moves(register) == pytest.approx(_moves(from_synth(province)), rel=0.06)
    # an inflow's origin is public security's (a floating registration names the hukou county instead)
    assert got["FLOAT_IN"] == pytest.approx(truth["FLOAT_IN"], rel=0.12)
    # mothers are found (second parties resolved by their own number), so their ages give the TFR
    assert got["TFR"] == pytest.approx(truth["TFR"], rel=0.12)
    assert got["SRB"] == pytest.approx(truth["SRB"], rel=0.12)
    known = register.persons.get_column("person_id")
    mothers = register.births.get_column("mother_id").drop_nulls()
    assert mothers.is_in(known.implode()).mean() > 0.97
    # the assistance roll's beneficiaries (reward assistance: rural parents of one child or two daughters)
    assert got["REWARD"] == pytest.approx(truth["REWARD"], rel=0.06) and truth["REWARD"] > 20
    # the pfp agency's contraception records (surveyed late in 2024) reach the indicator
    cpr = [
        compute_indicators(snap, "2024", level="province", indicators=["CPR"])
        .filter(pl.col("ref_area") == "130000")
        .get_column("value")[0]
        for snap in (register, from_synth(province))
    ]
    assert cpr[0] == pytest.approx(cpr[1], rel=0.05) and 50 < cpr[1] <= 100
