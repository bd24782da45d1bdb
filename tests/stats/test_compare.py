"""Cross-department comparison: both figures, difference, ratio and flags past the threshold."""

from __future__ import annotations

import polars as pl
import pytest

from padis.errors import InputError
from padis.stats.compare import compare_with_register, load_macro
from padis.stats.indicators import compute_indicators


def test_public_security_population(hand, tmp_path):
    path = tmp_path / "gaj.csv"
    path.write_text("区划代码,户籍人口\n110101,5\n110102,\"4\"\n110201,3\n110105,9\n", encoding="utf-8")
    macro = load_macro(path)
    results = compute_indicators(hand, "2020", level="county")
    out = compare_with_register(results, macro, "public_security", "2020", threshold=0.1)
    rows = {r["ref_area"]: r for r in out.iter_rows(named=True)}
    assert rows["110101"]["ours"] == 5 and rows["110101"]["theirs"] == 5 and not rows["110101"]["flagged"]
    assert rows["110102"]["difference"] == 1 and rows["110102"]["ratio"] == pytest.approx(4 / 3)
    assert rows["110102"]["flagged"]
    assert rows["110105"]["ours"] is None and rows["110105"]["flagged"]   # only the other side has it


def test_bad_macro_table(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("division,value\n11010,abc\n", encoding="utf-8")
    with pytest.raises(InputError):
        load_macro(path)
    with pytest.raises(InputError):
        compare_with_register(pl.DataFrame(), pl.DataFrame(), "nobody", "2020")
