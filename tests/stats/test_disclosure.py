"""Suppressed cells cannot be recomputed from the published margins; DP counts state their budget."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from padis.errors import InputError
from padis.stats.disclosure import dp_counts, feasible_intervals, suppress, suppress_frame


def _attack(table) -> np.ndarray:
    return feasible_intervals(table.published(), table.row_totals, table.col_totals)


def test_single_small_cell_gets_complements_and_resists_lp_attack():
    values = [[20, 3, 40], [15, 25, 30], [12, 18, 50]]
    t = suppress(values)
    assert t.primary.sum() == 1 and t.primary[0, 1]
    assert t.suppressed.sum() >= 4
    for r in range(3):
        assert t.suppressed[r].sum() in (0, 2, 3)
    bounds = _attack(t)
    for r, c in np.argwhere(t.suppressed):
        lo, hi = bounds[r, c]
        assert hi - lo >= 1, (r, c, lo, hi)
        assert lo <= values[r][c] <= hi


def test_naive_suppression_would_leak():
    values = np.array([[20, 3, 40], [15, 25, 30]], dtype=float)
    published = values.copy()
    published[0, 1] = np.nan   # primary only
    bounds = feasible_intervals(published, values.sum(axis=1), values.sum(axis=0))
    assert bounds[0, 1, 0] == pytest.approx(3) and bounds[0, 1, 1] == pytest.approx(3)


@pytest.mark.parametrize("seed", range(8))
def test_random_tables_are_protected(seed):
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 40, size=(6, 5))
    values[rng.random(values.shape) < 0.2] = rng.integers(1, 9)
    t = suppress(values)
    assert (t.primary == ((values > 0) & (values < 10))).all()
    bounds = _attack(t)
    for r, c in np.argwhere(t.suppressed):
        assert bounds[r, c, 1] - bounds[r, c, 0] >= 1
    assert not np.isnan(t.published()[~t.suppressed]).any()


def test_suppress_frame_long_table():
    frame = pl.DataFrame({"area": ["A", "A", "B", "B", "C", "C"], "sex": ["1", "2"] * 3,
                          "value": [30, 4, 25, 22, 40, 41]})
    out = suppress_frame(frame, "area", "sex")
    a2 = out.filter((pl.col("area") == "A") & (pl.col("sex") == "2"))
    assert a2.get_column("flag")[0] == "primary" and a2.get_column("value")[0] is None
    assert out.filter(pl.col("flag") == "secondary").height >= 1


def test_dp_counts_budget_and_noise():
    counts = np.array([100, 200, 5, 0])
    rel = dp_counts(counts, epsilon=1.0)
    assert rel.epsilon <= 1.0
    assert rel.counts.shape == counts.shape and (rel.counts >= 0).all()
    assert "ε = 1" in rel.statement()
    many = np.array([dp_counts([1000], 1.0).counts[0] for _ in range(200)])
    assert abs(many.mean() - 1000) < 0.6      # discrete Laplace with scale 1: sd ≈ 1.3, mean unbiased
    assert many.std() > 0.5
    with pytest.raises(InputError):
        dp_counts(counts, 0)
