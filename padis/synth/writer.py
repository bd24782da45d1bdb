"""Writing extracts (Parquet, CSV in UTF-8 or GBK, XLSX), mappings, truth tables and the manifest."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import polars as pl
import yaml

from padis.errors import InputError

FORMATS = ("parquet", "csv", "xlsx")
ENCODINGS = ("utf-8", "gbk")
XLSX_MAX_ROWS = 1_048_576  # rows per sheet, header included


def write_parquet(frame: pl.DataFrame, path: Path) -> None:
    """Parquet with fixed settings so the same data gives the same bytes."""
    frame.write_parquet(
        path, compression="zstd", compression_level=1, statistics=True, row_group_size=256_000
    )


def write_table(frame: pl.DataFrame, path: Path, fmt: str, encoding: str) -> Path:
    """Write one extract in ``fmt``; return the file written."""
    target = path.with_suffix(f".{fmt}")
    if fmt == "parquet":
        write_parquet(frame, target)
    elif fmt == "csv":
        text = frame.write_csv()
        try:
            data = text.encode(encoding)
        except UnicodeEncodeError as exc:
            bad = text[exc.start : exc.end]
            raise InputError(
                f"character {bad!r} cannot be written in {encoding}",
                where=str(target),
                why="use --encoding utf-8",
            ) from exc
        target.write_bytes(data)
    elif fmt == "xlsx":
        _write_xlsx(frame, target)
    else:
        raise InputError(f"unknown format {fmt!r}", where="--format", why="use parquet, csv or xlsx")
    return target


def _write_xlsx(frame: pl.DataFrame, target: Path) -> None:
    """XLSX in write-only mode; rows beyond one sheet's limit continue on further sheets."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    per_sheet = XLSX_MAX_ROWS - 1
    sheets = max(1, -(-frame.height // per_sheet))
    for i in range(sheets):
        ws = wb.create_sheet(title=f"Sheet{i + 1}")
        ws.append(frame.columns)
        for row in frame.slice(i * per_sheet, per_sheet).iter_rows():
            ws.append(row)
    wb.properties.creator = "padis"
    wb.save(target)


def write_mapping(mapping: dict, path: Path) -> None:
    """A mapping file (YAML, keys in contract order)."""
    path.write_text(yaml.safe_dump(mapping, allow_unicode=True, sort_keys=False), encoding="utf-8")


def file_hash(path: Path) -> str:
    """SHA-256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(out: Path, manifest: dict) -> None:
    """manifest.json with file hashes; no wall-clock time, so it is the same for the same seed."""
    files = sorted(p for p in out.rglob("*") if p.is_file() and p.name != "manifest.json")
    manifest = dict(manifest)
    manifest["files"] = {str(p.relative_to(out)): file_hash(p) for p in files}
    (out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8"
    )
