"""Reading an agency file into an all-text Polars frame through ``padis.fileio.read_table``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

ROW_COLUMN = "_row"


@dataclass(frozen=True)
class SourceTable:
    """What was read: every column as text plus ``_row`` (1-based source row), format and encoding."""

    frame: pl.DataFrame
    format: str
    encoding: str | None
    path: Path
    notes: tuple[str, ...] = ()  # what the reader noticed (numbers Excel rounded, say)


def read_source(path: Path) -> SourceTable:
    """Read ``path`` (CSV/TSV in UTF-8, BOM or GB18030, XLSX, JSON Lines, Parquet), all columns as text.

    Bad files (0 bytes, undecodable, truncated, merged header cells) raise ``InputError`` there.
    """
    from padis import fileio

    result = fileio.read_table(path)
    return SourceTable(result.frame, str(result.format), result.encoding, path, tuple(result.notes))
