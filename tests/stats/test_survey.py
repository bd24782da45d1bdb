"""Survey estimates and standard errors equal the textbook formulas on a small stratified example."""

from __future__ import annotations

import datetime as dt
import math

import polars as pl
import pytest
from scipy import stats

from padis.errors import InputError
from padis.stats.survey import draw_sample, estimate, read_frame, sampling_frame, write_frame

# Two strata: N = 60 and 40, n = 5 and 4 (Cochran, Sampling Techniques, §5.3 notation)
YA = [3.0, 5.0, 4.0, 8.0, 10.0]
YB = [1.0, 0.0, 2.0, 1.0]


def _sample() -> tuple[pl.DataFrame, pl.DataFrame]:
    rows = [(i + 1, "A", 60 / 5, 60) for i in range(5)] + [(i + 6, "B", 40 / 4, 40) for i in range(4)]
    sample = pl.DataFrame(rows, schema=["person_id", "stratum", "weight", "pop_size"], orient="row")
    sample = sample.with_columns(pl.col("person_id").cast(pl.Utf8).alias("psu"))
    responses = pl.DataFrame({"person_id": list(range(1, 10)), "y": YA + YB,
                              "yes": [1, 0, 1, 1, 0, 0, 0, 1, 0]})
    return sample, responses


def _var(values: list[float]) -> float:
    m = sum(values) / len(values)
    return sum((v - m) ** 2 for v in values) / (len(values) - 1)


def test_stratified_mean_and_total_match_textbook():
    sample, responses = _sample()
    N, Nh, nh = 100, [60, 40], [5, 4]
    means = [sum(YA) / 5, sum(YB) / 4]
    ybar_st = sum(n_h / N * m for n_h, m in zip(Nh, means, strict=True))
    var_st = sum((N_h / N) ** 2 * (1 - n / N_h) * s2 / n
                 for N_h, n, s2 in zip(Nh, nh, [_var(YA), _var(YB)], strict=True))
    res = estimate(sample, responses, ["y"], kind="mean").row(0, named=True)
    assert res["est"] == pytest.approx(ybar_st)
    assert res["se"] == pytest.approx(math.sqrt(var_st))
    t = stats.t.ppf(0.975, df=9 - 2)
    assert res["df"] == 7
    assert res["lci"] == pytest.approx(ybar_st - t * math.sqrt(var_st))
    assert res["uci"] == pytest.approx(ybar_st + t * math.sqrt(var_st))
    tot = estimate(sample, responses, ["y"], kind="total").row(0, named=True)
    assert tot["est"] == pytest.approx(N * ybar_st)
    assert tot["se"] == pytest.approx(N * math.sqrt(var_st))


def test_proportion_is_mean_of_indicator():
    sample, responses = _sample()
    p_a, p_b = 3 / 5, 1 / 4
    p_st = 0.6 * p_a + 0.4 * p_b
    v = (0.6 ** 2 * (1 - 5 / 60) * p_a * (1 - p_a) / (5 - 1)
         + 0.4 ** 2 * (1 - 4 / 40) * p_b * (1 - p_b) / (4 - 1))
    res = estimate(sample, responses, ["yes"], kind="mean").row(0, named=True)
    assert res["est"] == pytest.approx(p_st)
    assert res["se"] == pytest.approx(math.sqrt(v))
    props = estimate(sample, responses, ["yes"], kind="prop")
    assert props.filter(pl.col("level") == "1").get_column("est")[0] == pytest.approx(p_st)


def test_draw_stratified_and_cluster_samples(hand, tmp_path):
    frame = sampling_frame(hand, dt.date(2020, 12, 31))
    assert frame.height == 11
    s = draw_sample(frame, design="stratified", stratum="county", n=2, seed=3)
    assert s.group_by("stratum").len().get_column("len").to_list() == [2, 2, 2]
    w = s.filter(pl.col("stratum") == "110101").get_column("weight")
    assert w.to_list() == pytest.approx([2.5, 2.5])       # N_h = 5, n_h = 2
    assert s.group_by("stratum").agg(pl.col("weight").sum()).get_column("weight").sum() == pytest.approx(11)
    c = draw_sample(frame, design="cluster", stratum="prefecture", cluster="county", n=1, seed=3)
    assert c.select("psu").n_unique() == 2                # one county from each prefecture
    assert set(c.get_column("pop_size").to_list()) <= {1, 2}
    path = write_frame(s, tmp_path / "sample.csv")
    back = read_frame(path)
    assert back.height == s.height
    with pytest.raises(InputError):
        draw_sample(frame, design="quota")
    with pytest.raises(InputError):
        estimate(s, pl.DataFrame({"person_id": [1]}), ["missing"])


def test_an_empty_frame_is_a_clear_error() -> None:
    empty = pl.DataFrame(schema={"person_id": pl.Int64, "county": pl.String, "sex": pl.String})
    with pytest.raises(InputError, match="nobody to sample"):
        draw_sample(empty, n=5)
