"""Fixtures for collection tests: small extracts with their mappings."""

from __future__ import annotations

from pathlib import Path

import pytest

from padis.collect.sample import write_extract


@pytest.fixture
def extract(tmp_path: Path) -> tuple[Path, Path]:
    """A 400-row public-security person extract (CSV) with ~5 % bad rows, and its mapping."""
    return write_extract(tmp_path / "synth", 400, fmt="csv", bad_fraction=0.05, seed=3)
