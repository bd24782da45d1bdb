"""Fixtures: a few persons known to public security, and helpers writing other agencies' extracts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from padis.standards.idnumber import make_id


@pytest.fixture
def people() -> list[dict[str, str]]:
    """Three persons as public security registers them (dictionary field names as columns)."""
    rows = []
    for i, (birth, sex, name) in enumerate(
        [
            (dt.date(1980, 5, 1), "1", "王伟"),
            (dt.date(1982, 7, 9), "2", "李娜"),
            (dt.date(1950, 1, 2), "1", "张强"),
        ]
    ):
        seq = 11 + 2 * i if sex == "1" else 12 + 2 * i
        rows.append(
            {
                "id_number": make_id("110101", birth, seq),
                "name": name,
                "sex": sex,
                "birth_date": birth.isoformat(),
                "ethnicity": "01",
                "marital_status": "10",
                "hukou_type": "10",
                "registered_division": "110101",
                "residence_division": "110101",
                "status": "active",
            }
        )
    return rows


def write_csv(directory: Path, name: str, rows: list[dict[str, str]]) -> Path:
    """Write ``rows`` as a UTF-8 CSV named ``name``."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.csv"
    pl.DataFrame(rows).write_csv(path)
    return path
