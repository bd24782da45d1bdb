"""Load agency extracts through their mapping YAML into the common linkage schema.

Linkage schema: ``dataset, record_id, id_number, name, sex, birth_date, division, address`` (text).
Uses padis.collect's mapping reader and subject-field rules when present; the column rename, code
map and date parsing here are a minimal loader so linkage sees every row (quarantined ones included,
since bad identity numbers are exactly what linkage must cope with).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import yaml

from padis.errors import InputError

LINK_COLUMNS = ("dataset", "record_id", "id_number", "name", "sex", "birth_date", "division", "address")
_DATE_FORMATS = ["%Y-%m-%d", "%Y%m%d", "%Y/%m/%d", "%Y.%m.%d"]
# Where the person lives or is registered first; then where the recorded event took place.
DIVISION_FIELDS = (
    "registered_division",
    "residence_division",
    "division",
    "to_division",
    "insured_division",
    "service_division",
    "school_division",
    "death_place_division",
    "birth_place_division",
    "registration_division",
    "from_division",
)
ADDRESS_FIELDS = ("registered_address", "residence_address", "address", "to_address")


def _read_frame(path: Path) -> pl.DataFrame:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        frame = pl.read_parquet(path)
    elif suffix in (".csv", ".txt", ".tsv"):
        frame = pl.read_csv(path, infer_schema=False, separator="\t" if suffix == ".tsv" else ",")
    else:
        try:
            from padis.collect.reader import read_source

            frame = read_source(path).frame
        except ImportError as exc:  # pragma: no cover - collect absent
            raise InputError("unsupported extract format", where=str(path)) from exc
    return frame.with_columns(pl.all().cast(pl.Utf8))


def _subject_fields(record: str) -> dict[str, str]:
    try:
        from padis.collect.records import SUBJECT_FIELDS
    except ImportError:  # pragma: no cover - collect absent
        return {}
    return dict(SUBJECT_FIELDS.get(record, {}))


def load_extract(path: str | Path, mapping_path: str | Path | None = None) -> pl.DataFrame:
    """One extract in the linkage schema (``dataset`` = file stem, e.g. ``health__birth``)."""
    p = Path(path)
    mp = Path(mapping_path) if mapping_path else p.parent.parent / "mappings" / f"{p.stem}.yaml"
    if not mp.is_file():
        raise InputError("no mapping file for extract", where=str(p), why=f"expected {mp}")
    m = yaml.safe_load(mp.read_text(encoding="utf-8")) or {}
    frame = _read_frame(p)
    cols: dict[str, str] = m.get("columns") or {}
    rename = {src: dst for src, dst in cols.items() if src in frame.columns}
    frame = frame.select(
        [pl.col(s).alias(d) for s, d in rename.items()]
        + ([pl.col(m["record_id"]).alias("_record_id")] if m.get("record_id") in frame.columns else [])
    )
    if "_record_id" not in frame.columns:
        frame = frame.with_row_index("_record_id", offset=1).with_columns(pl.col("_record_id").cast(pl.Utf8))
    for fld, table in (m.get("codes") or {}).items():
        if fld in frame.columns and isinstance(table, dict):
            frame = frame.with_columns(
                pl.col(fld).replace({str(k): str(v) for k, v in table.items()}).alias(fld)
            )
    dates = m.get("dates") or {}
    for fld in frame.columns:
        if fld.endswith("birth_date") or fld in dates:
            fmts = dates.get(fld, _DATE_FORMATS)
            parsed = pl.coalesce([pl.col(fld).str.strip_chars().str.to_date(f, strict=False) for f in fmts])
            frame = frame.with_columns(pl.coalesce(parsed.dt.strftime("%Y-%m-%d"), pl.col(fld)).alias(fld))
    subject = _subject_fields(str(m.get("record", "person")))
    names = set(frame.columns)

    def pick(field: str, *fallbacks: str) -> pl.Expr:
        for cand in (subject.get(field), field, *fallbacks):
            if cand and cand in names:
                return pl.col(cand).cast(pl.Utf8)
        return pl.lit(None, pl.Utf8)

    return frame.select(
        pl.lit(p.stem).alias("dataset"),
        pl.col("_record_id").cast(pl.Utf8).alias("record_id"),
        pick("id_number").alias("id_number"),
        pick("name").alias("name"),
        pick("sex").alias("sex"),
        pick("birth_date").alias("birth_date"),
        pl.coalesce([pick(f) for f in DIVISION_FIELDS]).alias("division"),
        pl.coalesce([pick(f) for f in ADDRESS_FIELDS]).alias("address"),
    )


def load_synth(folder: str | Path) -> pl.DataFrame:
    """All extracts of a ``padis synth`` folder in the linkage schema."""
    root = Path(folder)
    files = sorted(
        f for f in (root / "extracts").glob("*") if f.suffix.lower() in (".parquet", ".csv", ".xlsx")
    )
    if not files:
        raise InputError("no extracts found", where=str(root / "extracts"), why="run `padis synth` first")
    return pl.concat([load_extract(f, root / "mappings" / f"{f.stem}.yaml") for f in files], how="vertical")


def load_truth(folder: str | Path) -> pl.DataFrame:
    """Ground truth of a synth folder: ``key`` (dataset|record_id) → ``person_id``."""
    path = Path(folder)
    path = path / "truth" / "records.parquet" if path.is_dir() else path
    if not path.is_file():
        raise InputError("truth file not found", where=str(path))
    t = pl.read_parquet(path) if path.suffix == ".parquet" else pl.read_csv(path, infer_schema=False)
    need = {"dataset", "record_id", "person_id"}
    if not need <= set(t.columns):
        raise InputError(
            "truth file lacks columns", where=str(path), why="needs dataset, record_id, person_id"
        )
    return t.select(
        (pl.col("dataset").cast(pl.Utf8) + "|" + pl.col("record_id").cast(pl.Utf8)).alias("key"),
        pl.col("person_id").cast(pl.Int64),
    )
