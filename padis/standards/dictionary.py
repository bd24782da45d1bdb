"""The data dictionary: records, fields, authorities and sensitivities, and the views derived from them."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import polars as pl
import yaml

from padis.errors import ConfigError, InputError
from padis.standards import codes

FIELD_TYPES: tuple[str, ...] = (
    "string",
    "name",
    "id_number",
    "date",
    "code",
    "division",
    "integer",
    "decimal",
    "boolean",
)
SENSITIVITY_LEVELS: tuple[str, ...] = ("public", "internal", "sensitive", "secret")
MASK_STYLES: tuple[str, ...] = ("id_number", "name", "phone", "address", "tail4", "year", "province", "full")
TEXT_TYPES = frozenset({"string", "name", "id_number", "code", "division"})
ID_NUMBER_PATTERN = r"^(\d{17}[\dX]|\d{15})$"
DIVISION_PATTERN = r"^\d{6}$"
IDENTITY_AUTHORITY = "public_security"

_DEFAULT_LENGTH = {"name": 50, "id_number": 18, "division": 6, "string": 200}
_DEFAULT_MASK = {"id_number": "id_number", "name": "name", "date": "year", "division": "province"}
_FIELD_KEYS = {
    "name",
    "label",
    "type",
    "code_table",
    "required",
    "sensitivity",
    "authority",
    "max_length",
    "description",
    "mask",
}
_RECORD_KEYS = {"label", "description", "authority", "key", "event_date", "events", "event_by", "fields"}
_SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class FieldDef:
    """One field of a record: what it holds, how it is coded, who owns it and how sensitive it is."""

    name: str
    label: str
    type: str
    code_table: str | None
    required: bool
    sensitivity: str
    authority: str
    max_length: int | None
    description: str
    record: str = ""
    mask: str = "full"

    @property
    def sensitivity_rank(self) -> int:
        """Position of the sensitivity in public < internal < sensitive < secret."""
        return SENSITIVITY_LEVELS.index(self.sensitivity)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (for JSON/YAML output)."""
        return {
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "code_table": self.code_table,
            "required": self.required,
            "sensitivity": self.sensitivity,
            "authority": self.authority,
            "max_length": self.max_length,
            "mask": self.mask,
            "description": self.description,
        }


@dataclass(frozen=True)
class EventRule:
    """Which change-feed event a row produces, chosen by the value of one code field."""

    field: str
    map: Mapping[str, str]


@dataclass(frozen=True)
class RecordDef:
    """One record type: its fields, natural key, event date and the change-feed events it produces."""

    name: str
    label: str
    fields: tuple[FieldDef, ...]
    key: tuple[str, ...]
    description: str = ""
    authority: str = ""
    event_date: str | None = None
    events: tuple[str, ...] = ()
    event_by: EventRule | None = None

    @property
    def field_names(self) -> list[str]:
        """Field names in dictionary order."""
        return [f.name for f in self.fields]

    def has_field(self, name: str) -> bool:
        """True when the record defines ``name``."""
        return any(f.name == name for f in self.fields)

    def field(self, name: str) -> FieldDef:
        """The field called ``name``; InputError naming the record's fields otherwise."""
        for f in self.fields:
            if f.name == name:
                return f
        raise InputError(
            f"unknown field {name!r}",
            where=f"record {self.name}",
            why=f"fields: {', '.join(self.field_names)}",
        )

    def event_type_expr(self) -> pl.Expr | None:
        """Expression for each row's change-feed event type, for ``with_columns`` (None if none)."""
        if self.event_by is not None:
            rule = self.event_by
            return (
                pl.col(rule.field)
                .cast(pl.String)
                .replace_strict(dict(rule.map), default=None, return_dtype=pl.String)
                .alias("event_type")
            )
        if self.events:
            return pl.lit(self.events[0], dtype=pl.String).alias("event_type")
        return None

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (for JSON/YAML output)."""
        return {
            "name": self.name,
            "label": self.label,
            "description": self.description,
            "authority": self.authority,
            "key": list(self.key),
            "event_date": self.event_date,
            "events": list(self.events),
            "event_by": None
            if self.event_by is None
            else {"field": self.event_by.field, "map": dict(self.event_by.map)},
            "fields": [f.to_dict() for f in self.fields],
        }


@dataclass(frozen=True)
class Dictionary:
    """The whole data dictionary: record definitions by name."""

    records: Mapping[str, RecordDef]
    version: int = 1
    path: str = ""

    def record(self, name: str) -> RecordDef:
        """The record called ``name``; InputError naming the known records otherwise."""
        if name not in self.records:
            raise InputError(
                f"unknown record {name!r}", where="dictionary", why=f"records: {', '.join(self.records)}"
            )
        return self.records[name]

    def field(self, record: str, name: str) -> FieldDef:
        """Field ``name`` of record ``record``."""
        return self.record(record).field(name)

    def authority(self, field_name: str) -> str:
        """The authoritative agency of a person-level field ("one data, one source")."""
        return self.record("person").field(field_name).authority

    def fields_by_sensitivity(self, level: str, *, at_least: bool = False) -> list[FieldDef]:
        """Fields of exactly this sensitivity (or this and above with ``at_least``), across all records."""
        rank = _level_rank(level, "sensitivity")
        return [
            f
            for r in self.records.values()
            for f in r.fields
            if (f.sensitivity_rank >= rank if at_least else f.sensitivity_rank == rank)
        ]

    def mask_value(self, field: FieldDef | str, value: Any, clearance: str | None) -> Any:
        """One value as a reader with ``clearance`` may see it (see module-level :func:`mask_value`)."""
        if isinstance(field, str):
            record, _, name = field.rpartition(".")
            field = self.field(record or "person", name)
        return mask_value(field, value, clearance)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form of the whole dictionary."""
        return {"version": self.version, "records": {n: r.to_dict() for n, r in self.records.items()}}


# --- loading and validation ---------------------------------------------------------------------


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe YAML loader that refuses a mapping with the same key twice (PyYAML keeps the last silently)."""


def _unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise ConfigError(
                f"duplicate name {key!r}",
                where=f"line {key_node.start_mark.line + 1}",
                why="names must be unique",
            )
        seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)


def _level_rank(level: str, what: str) -> int:
    if level not in SENSITIVITY_LEVELS:
        raise InputError(f"unknown {what} {level!r}", why=f"one of {', '.join(SENSITIVITY_LEVELS)}")
    return SENSITIVITY_LEVELS.index(level)


def _field(raw: Any, record: str, default_authority: str, agencies: set[str], where: str) -> FieldDef:
    if not isinstance(raw, dict):
        raise ConfigError("a field must be a mapping", where=where)
    name = raw.get("name")
    where = f"{where}, field {name}"
    unknown = sorted(set(raw) - _FIELD_KEYS)
    if unknown:
        raise ConfigError(
            f"unknown keys {unknown}", where=where, why=f"allowed: {', '.join(sorted(_FIELD_KEYS))}"
        )
    if not isinstance(name, str) or not _SNAKE.match(name):
        raise ConfigError("field name must be snake_case text", where=where)
    for key in ("label", "description"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise ConfigError(f"missing {key}", where=where)
    ftype = raw.get("type")
    if ftype not in FIELD_TYPES:
        raise ConfigError(f"unknown type {ftype!r}", where=where, why=f"one of {', '.join(FIELD_TYPES)}")
    table = raw.get("code_table")
    if ftype == "code":
        if table not in codes.list_tables():
            raise ConfigError(
                f"code table {table!r} does not exist", where=where, why="see padis standards codes"
            )
    elif table is not None:
        raise ConfigError(f"code_table given for a {ftype} field", where=where, why="only type code has one")
    sensitivity = raw.get("sensitivity")
    if sensitivity not in SENSITIVITY_LEVELS:
        raise ConfigError(
            f"unknown sensitivity {sensitivity!r}", where=where, why=f"one of {', '.join(SENSITIVITY_LEVELS)}"
        )
    # Identity fields belong to public security whichever business record carries them.
    fallback = IDENTITY_AUTHORITY if ftype in ("id_number", "name") else default_authority
    authority = raw.get("authority", fallback)
    if authority not in agencies:
        raise ConfigError(
            f"unknown authority {authority!r}", where=where, why=f"agencies: {', '.join(agencies)}"
        )
    required = raw.get("required", False)
    if not isinstance(required, bool):
        raise ConfigError("required must be true or false", where=where)
    max_length = raw.get("max_length")
    if max_length is None:
        max_length = codes.get_table(table).max_length if ftype == "code" else _DEFAULT_LENGTH.get(ftype)
    elif not isinstance(max_length, int) or isinstance(max_length, bool) or max_length <= 0:
        raise ConfigError("max_length must be a positive integer", where=where)
    elif ftype not in TEXT_TYPES:
        raise ConfigError(f"max_length given for a {ftype} field", where=where)
    mask = raw.get("mask", _DEFAULT_MASK.get(ftype, "full"))
    if mask not in MASK_STYLES:
        raise ConfigError(f"unknown mask {mask!r}", where=where, why=f"one of {', '.join(MASK_STYLES)}")
    return FieldDef(
        name=name,
        label=raw["label"].strip(),
        type=ftype,
        code_table=table,
        required=required,
        sensitivity=sensitivity,
        authority=authority,
        max_length=max_length,
        description=raw["description"].strip(),
        record=record,
        mask=mask,
    )


def _record(name: Any, raw: Any, agencies: set[str], event_types: set[str], where: str) -> RecordDef:
    where = f"{where}: record {name}"
    if not isinstance(name, str) or not _SNAKE.match(name):
        raise ConfigError("record name must be snake_case text", where=where)
    if not isinstance(raw, dict):
        raise ConfigError("a record must be a mapping", where=where)
    unknown = sorted(set(raw) - _RECORD_KEYS)
    if unknown:
        raise ConfigError(
            f"unknown keys {unknown}", where=where, why=f"allowed: {', '.join(sorted(_RECORD_KEYS))}"
        )
    if not isinstance(raw.get("label"), str) or not raw["label"].strip():
        raise ConfigError("missing label", where=where)
    authority = raw.get("authority")
    if authority not in agencies:
        raise ConfigError(
            f"unknown authority {authority!r}", where=where, why=f"agencies: {', '.join(agencies)}"
        )
    if not isinstance(raw.get("fields"), list) or not raw["fields"]:
        raise ConfigError("a record needs a non-empty list of fields", where=where)
    fields = tuple(_field(f, name, authority, agencies, where) for f in raw["fields"])
    by_name: dict[str, FieldDef] = {}
    for f in fields:
        if f.name in by_name:
            raise ConfigError(f"duplicate field {f.name!r}", where=where, why="field names must be unique")
        by_name[f.name] = f
    key = raw.get("key")
    if not isinstance(key, list) or not key or any(k not in by_name for k in key):
        raise ConfigError(f"key {key!r} must list fields of the record", where=where)
    event_date = raw.get("event_date")
    if event_date is not None and (event_date not in by_name or by_name[event_date].type != "date"):
        raise ConfigError(f"event_date {event_date!r} must name a date field of the record", where=where)
    events = raw.get("events") or []
    if not isinstance(events, list) or any(e not in event_types for e in events):
        raise ConfigError(f"events {events!r} must be event_type codes", where=where)
    event_by = None
    if raw.get("event_by") is not None:
        rule = raw["event_by"]
        target = by_name.get(rule.get("field")) if isinstance(rule, dict) else None
        if target is None or target.type != "code" or not isinstance(rule.get("map"), dict):
            raise ConfigError("event_by needs {field: <code field>, map: {code: event_type}}", where=where)
        table = codes.get_table(str(target.code_table))
        for code, event in rule["map"].items():
            if code not in table or event not in event_types:
                raise ConfigError(
                    f"event_by maps {code!r} → {event!r}",
                    where=where,
                    why=f"codes must be in {table.name} and events in event_type",
                )
        event_by = EventRule(target.name, MappingProxyType(dict(rule["map"])))
        events = list(dict.fromkeys([*events, *rule["map"].values()]))
    return RecordDef(
        name=name,
        label=raw["label"].strip(),
        fields=fields,
        key=tuple(key),
        description=str(raw.get("description") or "").strip(),
        authority=authority,
        event_date=event_date,
        events=tuple(events),
        event_by=event_by,
    )


def load_dictionary(path: Path) -> Dictionary:
    """Read and validate a dictionary YAML file; ConfigError naming the record and field on any fault."""
    where = path.name
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)  # noqa: S506 - safe loader
    except ConfigError as exc:
        raise ConfigError(exc.what, where=f"{where} {exc.where}", why=exc.why) from exc
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError("cannot read the data dictionary", where=where, why=str(exc)) from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("records"), dict) or not raw["records"]:
        raise ConfigError("the dictionary needs a non-empty 'records' mapping", where=where)
    agencies = set(codes.get_table("agency").codes)
    event_types = set(codes.get_table("event_type").codes)
    records = {n: _record(n, r, agencies, event_types, where) for n, r in raw["records"].items()}
    return Dictionary(records=MappingProxyType(records), version=int(raw.get("version", 1)), path=str(path))


def dictionary_path() -> Path:
    """Where the packaged dictionary file is."""
    return Path(str(resources.files("padis.standards") / "data" / "dictionary.yaml"))


@cache
def get_dictionary() -> Dictionary:
    """The packaged data dictionary, loaded and validated once."""
    return load_dictionary(dictionary_path())


def _record_def(record: str | RecordDef) -> RecordDef:
    return record if isinstance(record, RecordDef) else get_dictionary().record(record)


# --- derived views: Polars, JSON Schema / pydantic, SQLAlchemy ----------------------------------

_POLARS_TYPES: dict[str, Any] = {
    "string": pl.String,
    "name": pl.String,
    "id_number": pl.String,
    "code": pl.String,
    "division": pl.String,
    "date": pl.Date,
    "integer": pl.Int64,
    "decimal": pl.Float64,
    "boolean": pl.Boolean,
}


def polars_schema(record: str | RecordDef) -> pl.Schema:
    """Polars schema of a record (codes and divisions as text, decimals as Float64)."""
    rec = _record_def(record)
    return pl.Schema({f.name: _POLARS_TYPES[f.type] for f in rec.fields})


def _json_property(f: FieldDef) -> dict[str, Any]:
    prop: dict[str, Any] = {"title": f.label, "description": f.description}
    if f.type in TEXT_TYPES:
        prop["type"] = "string"
        if f.max_length:
            prop["maxLength"] = f.max_length
        if f.type == "id_number":
            prop["pattern"] = ID_NUMBER_PATTERN
        elif f.type == "division":
            prop["pattern"] = DIVISION_PATTERN
        elif f.type == "code":
            prop["enum"] = list(codes.get_table(str(f.code_table)).codes)
    elif f.type == "date":
        prop.update(type="string", format="date")
    else:
        prop["type"] = {"integer": "integer", "decimal": "number", "boolean": "boolean"}[f.type]
    if not f.required:
        prop["type"] = [prop["type"], "null"]
        if "enum" in prop:
            prop["enum"] = [*prop["enum"], None]
    prop.update({"x-sensitivity": f.sensitivity, "x-authority": f.authority})
    if f.code_table:
        prop["x-code-table"] = f.code_table
    return prop


def json_schema(record: str | RecordDef) -> dict[str, Any]:
    """JSON Schema (2020-12) of one record, for API request and response bodies."""
    rec = _record_def(record)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"padis:dictionary:{rec.name}",
        "title": rec.label,
        "description": rec.description,
        "type": "object",
        "properties": {f.name: _json_property(f) for f in rec.fields},
        "required": [f.name for f in rec.fields if f.required],
        "additionalProperties": False,
    }


@cache
def _pydantic_model(name: str) -> type:
    from pydantic import ConfigDict, Field, create_model

    rec = get_dictionary().record(name)
    definitions: dict[str, Any] = {}
    for f in rec.fields:
        constraints: dict[str, Any] = {"title": f.label, "description": f.description}
        py_type: Any
        if f.type == "code":
            py_type = Literal[tuple(codes.get_table(str(f.code_table)).codes)]  # type: ignore[valid-type]
        elif f.type in TEXT_TYPES:
            py_type = str
            constraints["max_length"] = f.max_length
            if f.type == "id_number":
                constraints["pattern"] = ID_NUMBER_PATTERN
            elif f.type == "division":
                constraints["pattern"] = DIVISION_PATTERN
        else:
            py_type = {"date": dt.date, "integer": int, "decimal": Decimal, "boolean": bool}[f.type]
        if f.required:
            definitions[f.name] = (py_type, Field(..., **constraints))
        else:
            definitions[f.name] = (py_type | None, Field(None, **constraints))
    model_name = "".join(part.title() for part in rec.name.split("_")) + "Record"
    return create_model(  # type: ignore[call-overload,no-any-return]
        model_name, __config__=ConfigDict(extra="forbid", title=rec.label), **definitions
    )


def pydantic_model(record: str) -> type:
    """A pydantic model class of one record (cached), for FastAPI request/response bodies."""
    return _pydantic_model(_record_def(record).name)


def sqlalchemy_columns(record: str | RecordDef) -> list[Any]:
    """Fresh ``sqlalchemy.Column`` objects for a record's fields (nullable unless required)."""
    from sqlalchemy import BigInteger, Boolean, Column, Date, Numeric, String

    rec = _record_def(record)
    columns = []
    for f in rec.fields:
        if f.type in TEXT_TYPES:
            sql_type: Any = String(f.max_length)
        else:
            sql_type = {
                "date": Date(),
                "integer": BigInteger(),
                "decimal": Numeric(18, 2),
                "boolean": Boolean(),
            }[f.type]
        columns.append(Column(f.name, sql_type, nullable=not f.required, comment=f.label))
    return columns


# --- masking ---------------------------------------------------------------------------------------

_STARS = "*" * 64


def _stars(n: pl.Expr) -> pl.Expr:
    return pl.lit(_STARS).str.slice(0, pl.max_horizontal(n, pl.lit(0)))


def mask_expr(f: FieldDef, expr: pl.Expr) -> pl.Expr:
    """Masked text of a column by the field's mask style (e.g. 110105********123X, 张*, 138****5678)."""
    s = expr.cast(pl.String)
    n = s.str.len_chars()
    style = f.mask
    if style == "id_number":
        out = pl.when(n > 10).then(s.str.slice(0, 6) + _stars(n - 10) + s.str.slice(-4)).otherwise(_stars(n))
    elif style == "name":
        out = pl.when(n > 1).then(s.str.slice(0, 1) + _stars(n - 1)).otherwise(_stars(n))
    elif style == "phone":
        # Mobile numbers keep the carrier prefix; short (landline) numbers only their last four digits.
        out = (
            pl.when(n >= 11)
            .then(s.str.slice(0, 3) + _stars(n - 7) + s.str.slice(-4))
            .when(n > 4)
            .then(_stars(n - 4) + s.str.slice(-4))
            .otherwise(_stars(n))
        )
    elif style == "address":
        # Keep the leading place names (at most six characters, never more than half the address).
        out = s.str.slice(0, pl.min_horizontal(pl.lit(6), n // 2)) + pl.lit("****")
    elif style == "tail4":
        out = pl.when(n > 4).then(_stars(n - 4) + s.str.slice(-4)).otherwise(_stars(n))
    elif style == "year":
        out = s.str.slice(0, 4) + pl.lit("-**-**")
    elif style == "province":
        out = s.str.slice(0, 2) + pl.lit("****")
    else:
        out = pl.lit("***")
    return pl.when(s.is_null()).then(None).otherwise(out)


def _clear_for(f: FieldDef, clearance: str | None) -> bool:
    return f.sensitivity_rank <= _level_rank(clearance or "public", "clearance")


def field_def(field: FieldDef | str) -> FieldDef:
    """A field given as a FieldDef, a person-level field name, or ``record.field``."""
    if isinstance(field, FieldDef):
        return field
    record, _, name = field.rpartition(".")
    return get_dictionary().field(record or "person", name)


def mask_series(field: FieldDef | str, series: pl.Series, clearance: str | None) -> pl.Series:
    """The column as a reader with ``clearance`` may see it: unchanged if cleared, else masked text."""
    f = field_def(field)
    if _clear_for(f, clearance):
        return series
    return pl.DataFrame({"v": series}).select(mask_expr(f, pl.col("v"))).to_series().alias(series.name)


def mask_value(field: FieldDef | str, value: Any, clearance: str | None) -> Any:
    """One value as a reader with ``clearance`` may see it (same rule as :func:`mask_series`)."""
    f = field_def(field)
    if value is None or _clear_for(f, clearance):
        return value
    return mask_series(f, pl.Series("v", [value]), clearance)[0]


def mask_frame(record: str | RecordDef, frame: pl.DataFrame, clearance: str | None) -> pl.DataFrame:
    """Mask every column of ``frame`` that is a field of ``record`` above the reader's clearance."""
    rec = _record_def(record)
    masked = [
        mask_expr(f, pl.col(f.name)).alias(f.name)
        for f in rec.fields
        if f.name in frame.columns and not _clear_for(f, clearance)
    ]
    return frame.with_columns(masked) if masked else frame


# --- documentation ---------------------------------------------------------------------------------


def _cell(text: Any) -> str:
    return "" if text is None else str(text).replace("|", "\\|").replace("\n", " ")


def _record_markdown(rec: RecordDef) -> list[str]:
    agencies = codes.get_table("agency")
    if rec.event_by is not None:
        pairs = ", ".join(f"{c} → `{e}`" for c, e in rec.event_by.map.items())
        events = f"by `{rec.event_by.field}`: {pairs}"
    else:
        events = ", ".join(f"`{e}`" for e in rec.events) or "—"
    lines = [
        f"## `{rec.name}` — {rec.label}",
        "",
        rec.description,
        "",
        f"- Key: {', '.join(f'`{k}`' for k in rec.key)}",
        f"- Default authority: {agencies.label_of(rec.authority)} (`{rec.authority}`)",
        f"- Event date: {f'`{rec.event_date}`' if rec.event_date else '—'}",
        f"- Change-feed events: {events}",
        "",
        "| Field | 名称 | Type | Code table | Required | Sensitivity | Authority | Max length "
        "| Description |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for f in rec.fields:
        table = f"[`{f.code_table}`](#code-{f.code_table})" if f.code_table else ""
        lines.append(
            f"| `{f.name}` | {_cell(f.label)} | {f.type} | {table} | {'yes' if f.required else ''} "
            f"| {f.sensitivity} | `{f.authority}` | {f.max_length or ''} | {_cell(f.description)} |"
        )
    return [*lines, ""]


def _table_markdown(table: codes.CodeTable) -> list[str]:
    lines = [
        f'<a id="code-{table.name}"></a>',
        f"### `{table.name}` — {table.label}",
        "",
        f"Standard: {table.standard} (edition {table.edition}).",
        "",
        _cell(table.source),
        "",
        "| Code | 名称 | Note |",
        "|---|---|---|",
    ]
    for code, label in table.codes.items():
        note = f"deprecated: {table.deprecated[code]}" if code in table.deprecated else ""
        lines.append(f"| `{code}` | {_cell(label)} | {_cell(note)} |")
    if table.aliases:
        lines += ["", "Aliases: " + ", ".join(f"{_cell(a)} → `{c}`" for a, c in table.aliases.items())]
    return [*lines, ""]


def to_markdown(dictionary: Dictionary | None = None, record: str | None = None) -> str:
    """The dictionary as Markdown (one record, or everything with the code tables it uses)."""
    dictionary = dictionary or get_dictionary()
    if record is not None:
        return "\n".join(_record_markdown(dictionary.record(record)))
    agencies = codes.get_table("agency")
    lines = [
        "# padis data dictionary",
        "",
        "<!-- Generated by `padis standards dictionary --format markdown`; edit "
        "padis/standards/data/dictionary.yaml and the code tables instead. -->",
        "",
        "The full-population individual-case record and the record of each business. Validation, storage",
        "columns, API schemas and masking are derived from the same file "
        "(`padis/standards/data/dictionary.yaml`).",
        "",
        "**One data, one source (一数一源).** Each field names the one agency whose value is authoritative:",
        "identity and household registration → public security; births → health; marriage, divorce and",
        "death → civil affairs; schooling → education; insurance and employment → human resources & social",
        "security; contraception, assistance and floating-population services → population & family",
        "planning. Identity fields (type `id_number` and `name`) name public security in every record.",
        "",
        "| Agency code | 部门 |",
        "|---|---|",
        *(f"| `{c}` | {label} |" for c, label in agencies.codes.items()),
        "",
        "**Sensitivity** (`public < internal < sensitive < secret`): a reader sees a field in clear only",
        "with a clearance at least as high; otherwise it is masked by the field's style — identity numbers",
        "`110105********123X`, names `张*`, phones `138****5678`, addresses `北京市朝阳区****`, dates",
        "`1985-**-**`, divisions `11****`, accounts `***************0123`, anything else `***`.",
        "",
        "**Types**: " + ", ".join(f"`{t}`" for t in FIELD_TYPES) + ".",
        "",
        "Records: " + ", ".join(f"[`{n}`](#{n}--{_anchor(r.label)})" for n, r in dictionary.records.items()),
        "",
    ]
    for rec in dictionary.records.values():
        lines += _record_markdown(rec)
    lines += ["# Code tables", ""]
    for name in codes.list_tables():
        lines += _table_markdown(codes.get_table(name))
    if codes.list_mappings():
        lines += ["# Code mappings", ""]
        for name in codes.list_mappings():
            mapping = codes.get_mapping(name)
            lines += [
                f"### `{mapping.name}` — {mapping.label}",
                "",
                _cell(mapping.source),
                "",
                f"| `{mapping.from_table}` | `{mapping.to_table}` | Exact | Note |",
                "|---|---|---|---|",
                *(
                    f"| `{e.source}` | `{e.target}` | {'yes' if e.exact else 'no'} | {_cell(e.note)} |"
                    for e in mapping.entries.values()
                ),
                "",
            ]
    return "\n".join(lines).rstrip() + "\n"


def _anchor(text: str) -> str:
    return re.sub(r"[^\w\- ]", "", text).strip().lower().replace(" ", "-")
