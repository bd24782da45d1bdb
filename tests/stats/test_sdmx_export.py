"""SDMX output read back with sdmx1 gives the same numbers; CSV/XLSX export; publishing suppresses."""

from __future__ import annotations

import polars as pl
import pytest

from padis.errors import InputError
from padis.stats.export import export, publishable, read_xlsx
from padis.stats.indicators import compute_indicators
from padis.stats.sdmx import read_sdmx


@pytest.fixture(scope="module")
def results(hand):
    return compute_indicators(hand, "2020", level="county")


KEYS = ["indicator", "ref_area", "sex", "age", "period"]


@pytest.mark.parametrize("fmt,name", [("sdmx-ml", "out.xml"), ("sdmx-csv", "out.csv")])
def test_sdmx_round_trip(results, tmp_path, fmt, name):
    data, structure = export(results, fmt, tmp_path / name)
    assert structure.exists() and data.exists()
    back = read_sdmx(data, structure)
    expected = results.filter(pl.col("value").is_not_null()).select(*KEYS, "value")
    assert back.height == expected.height > 40
    joined = expected.join(back, on=KEYS, suffix="_back")
    assert joined.height == expected.height
    assert (joined.get_column("value") - joined.get_column("value_back")).abs().max() < 1e-9


def test_sdmx_ml_is_structure_specific_21(results, tmp_path):
    data, _ = export(results, "sdmx-ml", tmp_path / "d.xml")
    text = data.read_text(encoding="utf-8")
    assert "StructureSpecificData" in text and "v2_1" in text
    assert 'INDICATOR="CBR"' in text


def test_csv_and_xlsx(results, tmp_path):
    (csv,) = export(results, "csv", tmp_path / "r.csv")
    assert pl.read_csv(csv).height == results.height
    (xlsx,) = export(results, "xlsx", tmp_path / "r.xlsx")
    back = read_xlsx(xlsx)
    assert back.height == results.height
    assert "指标代码" in back.columns
    with pytest.raises(InputError):
        export(results, "pdf", tmp_path / "r.pdf")


def test_publishable_suppresses_small_counts(results):
    pub = publishable(results, threshold=10)
    pop = pub.filter(pl.col("indicator") == "POP")
    assert pop.get_column("value").null_count() == pop.height   # 5, 3, 3: all below 10
    assert set(pop.get_column("flag").to_list()) == {"primary"}
    cbr = pub.filter(pl.col("indicator") == "CBR")
    assert cbr.get_column("value").null_count() == cbr.height  # numerators are single births
