"""Property: for any file, rows stored + rows quarantined = rows read, and the database holds exactly that."""

from __future__ import annotations

import itertools
from pathlib import Path

import openpyxl
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import Engine, text

from padis.collect.service import collect_file

COLUMNS = ("RYBH", "GMSFHM", "XM", "XB", "CSRQ", "MZ", "HYZK", "HKLB", "HJDQ", "XZDQ", "RYZT")
# Plausible values beside arbitrary text, so generated rows are sometimes valid and often almost valid.
PLAUSIBLE = {
    "GMSFHM": ["110101199003070011", "11010119900307001X", "110101199003070012", "", "1101011990"],
    "XM": ["王伟", "李娜", "", "  ", "Ли"],
    "XB": ["男", "女", "1", "2", "9", ""],
    "CSRQ": ["19900307", "1990-03-07", "20991301", "", "0"],
    "MZ": ["01", "02", "99", "汉"],
    "HYZK": ["10", "20", "2", "x"],
    "HKLB": ["10", "20", "31"],
    "HJDQ": ["110101", "999999", "1101"],
    "XZDQ": ["110101", "110102", ""],
    "RYZT": ["正常", "死亡", "unknown"],
}
_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12
)
_serial = itertools.count()


def _cell(column: str) -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), _text, st.sampled_from(PLAUSIBLE.get(column, ["P1"])))


_row = st.fixed_dictionaries({c: _cell(c) for c in COLUMNS})


def _counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
            for t in ("source_record", "quarantine")
        )


def _write(frame: pl.DataFrame, path: Path, fmt: str) -> Path:
    """``frame`` as a file of format ``fmt`` (every value text or empty)."""
    target = path.with_suffix("." + fmt)
    if fmt == "csv":
        frame.write_csv(target)
    elif fmt == "jsonl":
        frame.write_ndjson(target)
    elif fmt == "parquet":
        frame.write_parquet(target)
    else:
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(frame.columns)
        for row in frame.iter_rows():
            # Excel cannot hold control characters: a real workbook never has them.
            sheet.append([None if v is None else ILLEGAL_CHARACTERS_RE.sub("", v) for v in row])
        book.save(target)
    return target


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(_row, min_size=1, max_size=40), fmt=st.sampled_from(["csv", "jsonl", "parquet", "xlsx"]))
def test_every_row_of_any_file_is_stored_or_quarantined(
    engine: Engine, extract: tuple[Path, Path], tmp_path: Path, rows: list[dict[str, str | None]], fmt: str
) -> None:
    _, mapping = extract
    # A serial column makes each example a different file: the same bytes twice would be "already loaded".
    frame = pl.DataFrame(rows, schema=dict.fromkeys(COLUMNS, pl.String)).with_columns(
        pl.lit(str(next(_serial))).alias("SERIAL")
    )
    path = _write(frame, tmp_path / f"any_{next(_serial)}", fmt)
    before = _counts(engine)
    report = collect_file(engine, path, "public_security", mapping_path=mapping, apply=False)
    after = _counts(engine)
    assert report.rows_read == len(rows)
    assert report.rows_stored + report.rows_quarantined == report.rows_read
    assert (after[0] - before[0], after[1] - before[1]) == (report.rows_stored, report.rows_quarantined)
