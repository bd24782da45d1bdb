"""Mapping files: how one agency's extract maps onto a dictionary record (format in docs/contracts.md)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from padis.errors import ConfigError, InputError
from padis.standards import codes
from padis.standards.dictionary import RecordDef, get_dictionary

DEFAULT_DATE_FORMATS: tuple[str, ...] = ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d", "%Y.%m.%d")


@dataclass(frozen=True)
class Mapping:
    """One agency dataset's mapping: source column -> dictionary field, local codes, date formats."""

    agency: str
    record: str
    columns: dict[str, str]
    record_id: str | None = None
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    dates: dict[str, list[str]] = field(default_factory=dict)
    event_date: str | None = None
    name: str = ""

    @property
    def record_def(self) -> RecordDef:
        """The dictionary record this mapping fills."""
        return get_dictionary().record(self.record)

    def source_of(self, field_name: str) -> str | None:
        """The source column that feeds dictionary field ``field_name``."""
        return next((src for src, dst in self.columns.items() if dst == field_name), None)

    def source_columns(self) -> list[str]:
        """Every source column the mapping reads (all must be in the file)."""
        cols = list(self.columns)
        for extra in (self.record_id, self.event_date):
            if extra and extra not in cols:
                cols.append(extra)
        return cols

    def to_json(self) -> str:
        """The mapping as JSON text (kept with the batch so quarantined rows can be re-validated)."""
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Mapping:
        """Inverse of :meth:`to_json`."""
        return cls(**json.loads(text))


def check_agency(agency: str) -> str:
    """``agency`` if it is in the agency code table; otherwise an InputError listing the known ones."""
    table = codes.get_table("agency")
    if agency not in table.codes:
        raise InputError(
            f"unknown agency {agency!r}", where="--agency", why=f"known: {', '.join(table.codes)}"
        )
    return agency


def _validate(raw: dict[str, Any], where: str, name: str) -> Mapping:
    dictionary = get_dictionary()
    for key in ("agency", "record", "columns"):
        if key not in raw:
            raise ConfigError(f"missing key {key!r}", where=where)
    agency = str(raw["agency"])
    if agency not in codes.get_table("agency").codes:
        raise ConfigError(f"unknown agency {agency!r}", where=where, why="see the agency code table")
    record = str(raw["record"])
    if record not in dictionary.records:
        raise ConfigError(
            f"unknown record {record!r}", where=where, why=f"records: {', '.join(dictionary.records)}"
        )
    rec = dictionary.records[record]
    columns = {str(k): str(v) for k, v in (raw.get("columns") or {}).items()}
    unknown = sorted(v for v in columns.values() if not rec.has_field(v))
    if unknown:
        raise ConfigError(f"fields {unknown} are not in record {record}", where=where)
    mapped = set(columns.values())
    missing = [f.name for f in rec.fields if f.required and f.name not in mapped]
    if missing:
        raise ConfigError(f"required fields {missing} are not mapped", where=where, why=f"record {record}")
    code_maps = {
        str(f): {str(k): str(v) for k, v in (m or {}).items()} for f, m in (raw.get("codes") or {}).items()
    }
    dates = {str(f): [str(x) for x in fmts] for f, fmts in (raw.get("dates") or {}).items()}
    return Mapping(
        agency=agency,
        record=record,
        columns=columns,
        record_id=str(raw["record_id"]) if raw.get("record_id") else None,
        codes=code_maps,
        dates=dates,
        event_date=str(raw["event_date"]) if raw.get("event_date") else None,
        name=name,
    )


def load_mapping(path: Path) -> Mapping:
    """Read and check a mapping YAML file."""
    where = str(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError("mapping file not found", where=where) from exc
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError("cannot read the mapping file", where=where, why=str(exc).splitlines()[0]) from exc
    if not isinstance(raw, dict):
        raise ConfigError("a mapping file must be a YAML mapping", where=where)
    return _validate(raw, where, path.stem)


def identity_mapping(agency: str, record: str, columns: list[str]) -> Mapping:
    """A mapping for a file whose columns already carry dictionary field names."""
    rec = get_dictionary().record(record)
    cols = {c: c for c in columns if rec.has_field(c)}
    key = rec.key[0] if len(rec.key) == 1 and rec.key[0] in cols else None
    return _validate(
        {"agency": agency, "record": record, "columns": cols, "record_id": key}, "(no mapping)", record
    )


def find_mapping(file: Path) -> Path | None:
    """The mapping beside an extract: ``DIR/extracts/X.ext`` -> ``DIR/mappings/X.yaml`` (or ``X.yaml``)."""
    for candidate in (
        file.parent.parent / "mappings" / f"{file.stem}.yaml",
        file.with_suffix(".yaml"),
        file.parent / f"{file.stem}.mapping.yaml",
    ):
        if candidate.is_file():
            return candidate
    return None
