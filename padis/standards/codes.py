"""Classification code tables (GB/T 2261, GB 3304, GB/T 4658, GB/T 4761, …) and their normalisation."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import polars as pl
import yaml

from padis.errors import ConfigError, InputError

# Full-width ASCII (U+FF01..U+FF5E) and the ideographic space, as typed on Chinese keyboards.
_FULL = [chr(c) for c in range(0xFF01, 0xFF5F)] + ["\u3000"]
_HALF = [chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)] + [" "]
_FULL_TO_HALF = str.maketrans(dict(zip(_FULL, _HALF, strict=True)))
_FLOAT_INT = re.compile(r"^(\d+)\.0+$")
_LEADING_ZEROS = re.compile(r"^0+(\d)")
_SUB_CODE = re.compile(r"^[1-8]\d$")


def canonical_key(value: Any) -> str | None:
    """The matching key of one value: trimmed, half-width, lower-case, numbers without leading zeros."""
    if value is None:
        return None
    if isinstance(value, bool):
        value = str(value)
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).translate(_FULL_TO_HALF).strip().lower()
    text = _LEADING_ZEROS.sub(r"\1", _FLOAT_INT.sub(r"\1", text))
    return text or None


def canonical_key_expr(expr: pl.Expr) -> pl.Expr:
    """The same key as :func:`canonical_key`, as a Polars expression over a string column."""
    key = (
        expr.cast(pl.String)
        .str.replace_many(_FULL, _HALF)
        .str.strip_chars()
        .str.to_lowercase()
        .str.replace(_FLOAT_INT.pattern, "${1}")
        .str.replace(_LEADING_ZEROS.pattern, "${1}")
    )
    return pl.when(key == "").then(None).otherwise(key)


@dataclass(frozen=True, eq=False)
class CodeTable:
    """One classification code table: its standard, codes with Chinese labels, aliases and deprecations."""

    name: str
    label: str
    standard: str
    edition: str
    codes: Mapping[str, str]
    source: str = ""
    aliases: Mapping[str, str] = field(default_factory=dict)
    deprecated: Mapping[str, str] = field(default_factory=dict)

    def __contains__(self, code: object) -> bool:
        return code in self.codes

    def __len__(self) -> int:
        return len(self.codes)

    def label_of(self, code: str) -> str | None:
        """The Chinese label of a canonical code (None if the code is not in the table)."""
        return self.codes.get(code)

    def is_deprecated(self, code: str) -> bool:
        """True when the code is still readable but should not be used for new records."""
        return code in self.deprecated

    @property
    def max_length(self) -> int:
        """Length of the longest code (for storage columns)."""
        return max(len(c) for c in self.codes)

    @cached_property
    def _lookup(self) -> dict[str, str]:
        return _build_lookup(self)

    def normalize(self, value: Any) -> str | None:
        """The canonical code for a code, a label or an alias (None if unrecognised or empty)."""
        key = canonical_key(value)
        return None if key is None else self._lookup.get(key)

    @cached_property
    def lookup_frame(self) -> pl.DataFrame:
        """Every accepted spelling (canonical key) with its code, for join-based batch normalisation."""
        return pl.DataFrame(
            {"key": list(self._lookup), "code": list(self._lookup.values())},
            schema={"key": pl.String, "code": pl.String},
        )

    def normalize_series(self, series: pl.Series) -> pl.Series:
        """Vectorised :meth:`normalize`: canonical keys of the distinct values joined to the lookup frame."""
        # Code columns have few distinct spellings: canonicalise those once, then join back by value.
        values = pl.DataFrame({"value": series.cast(pl.String)})
        distinct = (
            values.unique()
            .drop_nulls()
            .with_columns(canonical_key_expr(pl.col("value")).alias("key"))
            .join(self.lookup_frame, on="key", how="left")
            .select("value", "code")
        )
        joined = values.join(distinct, on="value", how="left", maintain_order="left")
        return joined.get_column("code").alias(series.name)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (for JSON/YAML output)."""
        return {
            "name": self.name,
            "label": self.label,
            "standard": self.standard,
            "edition": self.edition,
            "source": self.source,
            "codes": dict(self.codes),
            "aliases": dict(self.aliases),
            "deprecated": dict(self.deprecated),
        }


def _build_lookup(table: CodeTable) -> dict[str, str]:
    """Key → code from codes, then labels, then aliases; a key naming two different codes is an error."""
    lookup: dict[str, str] = {}
    where = f"code table {table.name}"
    sources: list[tuple[str, Iterable[tuple[str, str]]]] = [
        ("code", ((c, c) for c in table.codes)),
        ("label", ((label, c) for c, label in table.codes.items())),
        ("alias", table.aliases.items()),
    ]
    for kind, pairs in sources:
        for spelling, code in pairs:
            key = canonical_key(spelling)
            if key is None:
                raise ConfigError(f"empty {kind} for code {code!r}", where=where)
            if lookup.get(key, code) != code:
                raise ConfigError(
                    f"{kind} {spelling!r} is ambiguous",
                    where=where,
                    why=f"it matches both {lookup[key]!r} and {code!r}",
                )
            lookup.setdefault(key, code)
    return lookup


def _data_dir() -> Path:
    return Path(str(resources.files("padis.standards") / "data" / "codes"))


def _str_map(raw: Any, what: str, where: str) -> dict[str, str]:
    """A YAML mapping whose keys and values must all be strings (quoted codes keep their zeros)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"'{what}' must be a mapping", where=where)
    out: dict[str, str] = {}
    for key, value in raw.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise ConfigError(
                f"'{what}' entry {key!r}: {value!r} is not text",
                where=where,
                why='quote codes in YAML so leading zeros survive, e.g. "01"',
            )
        out[key] = value
    return out


def load_table(path: Path) -> CodeTable:
    """Read and check one code-table YAML file."""
    where = str(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError("cannot read code table", where=where, why=str(exc)) from exc
    if not isinstance(raw, dict):
        raise ConfigError("a code table must be a YAML mapping", where=where)
    missing = [k for k in ("name", "label", "standard", "edition", "codes") if not raw.get(k)]
    if missing:
        raise ConfigError(f"missing {', '.join(missing)}", where=where)
    codes = _str_map(raw["codes"], "codes", where)
    aliases = _str_map(raw.get("aliases"), "aliases", where)
    deprecated = _str_map(raw.get("deprecated"), "deprecated", where)
    for kind, mapping in (("alias", aliases.values()), ("deprecated code", deprecated.keys())):
        unknown = sorted(set(mapping) - set(codes))
        if unknown:
            raise ConfigError(f"{kind} refers to unknown codes {unknown}", where=where)
    table = CodeTable(
        name=str(raw["name"]),
        label=str(raw["label"]),
        standard=str(raw["standard"]),
        edition=str(raw["edition"]),
        codes=MappingProxyType(codes),
        source=str(raw.get("source") or "").strip(),
        aliases=MappingProxyType(aliases),
        deprecated=MappingProxyType(deprecated),
    )
    if table.name != path.stem:
        raise ConfigError(f"table name {table.name!r} differs from its file name", where=where)
    _build_lookup(table)  # fail on ambiguous spellings at load, not at first use
    return table


@cache
def _tables() -> dict[str, CodeTable]:
    return {p.stem: load_table(p) for p in sorted(_data_dir().glob("*.yaml"))}


def list_tables() -> list[str]:
    """Names of all code tables, sorted."""
    return sorted(_tables())


def all_tables() -> dict[str, CodeTable]:
    """Every code table by name."""
    return dict(_tables())


def get_table(name: str) -> CodeTable:
    """The code table called ``name``; InputError naming the known tables otherwise."""
    tables = _tables()
    if name not in tables:
        raise InputError(
            f"unknown code table {name!r}", where="codes", why=f"known tables: {', '.join(sorted(tables))}"
        )
    return tables[name]


def normalize_series(table_name: str, series: pl.Series) -> pl.Series:
    """Canonical codes for a column of codes/labels/aliases (null where unrecognised), join-based."""
    return get_table(table_name).normalize_series(series)


# --- mappings between editions ------------------------------------------------------------------


@dataclass(frozen=True)
class MappingEntry:
    """Where one source code goes: target code, whether the meaning is preserved, and why not."""

    source: str
    target: str
    exact: bool
    note: str = ""


@dataclass(frozen=True, eq=False)
class CodeMapping:
    """A code-to-code mapping from one table (edition) to another."""

    name: str
    label: str
    from_table: str
    to_table: str
    entries: Mapping[str, MappingEntry]
    source: str = ""

    def _source_code(self, value: Any) -> str | None:
        code = get_table(self.from_table).normalize(value)
        if code is None:
            key = canonical_key(value)
            # Sub-codes of a level (e.g. 1984 "21") are read through the level's tens digit ("20");
            # 9x is not a level with sub-codes (1984 90 = illiterate), so 97/99 stay unknown.
            if key is not None and _SUB_CODE.match(key) and f"{key[0]}0" in self.entries:
                code = f"{key[0]}0"
        return code

    def entry(self, value: Any) -> MappingEntry | None:
        """The mapping entry for a source code, label or alias (None if unrecognised)."""
        code = self._source_code(value)
        return None if code is None else self.entries.get(code)

    def map(self, value: Any, *, strict: bool = False) -> str | None:
        """Target code of ``value``; with ``strict`` only where the meaning is kept exactly."""
        found = self.entry(value)
        if found is None or (strict and not found.exact):
            return None
        return found.target

    @cached_property
    def frame(self) -> pl.DataFrame:
        """The mapping as a frame: source, target, exact."""
        return pl.DataFrame(
            {
                "source": [e.source for e in self.entries.values()],
                "target": [e.target for e in self.entries.values()],
                "exact": [e.exact for e in self.entries.values()],
            },
            schema={"source": pl.String, "target": pl.String, "exact": pl.Boolean},
        )

    def map_series(self, series: pl.Series, *, strict: bool = False) -> pl.Series:
        """Vectorised :meth:`map`: normalise the distinct values, fall back to the level, join back."""
        values = pl.DataFrame({"value": series.cast(pl.String)})
        distinct = values.unique().drop_nulls()
        key = canonical_key_expr(pl.col("value"))
        level = pl.when(key.str.contains(_SUB_CODE.pattern)).then(key.str.slice(0, 1) + pl.lit("0"))
        distinct = distinct.with_columns(
            pl.coalesce(
                get_table(self.from_table).normalize_series(distinct.get_column("value")), level
            ).alias("source")
        ).join(self.frame, on="source", how="left")
        if strict:
            distinct = distinct.with_columns(pl.when(pl.col("exact")).then(pl.col("target")).alias("target"))
        joined = values.join(
            distinct.select("value", "target"), on="value", how="left", maintain_order="left"
        )
        return joined.get_column("target").alias(series.name)


def load_mapping(path: Path) -> CodeMapping:
    """Read and check one mapping YAML file (both tables must exist and every code be known)."""
    where = str(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError("cannot read code mapping", where=where, why=str(exc)) from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("map"), dict):
        raise ConfigError("a code mapping needs a 'map' of source code → {to, exact, note}", where=where)
    src, dst = get_table(str(raw.get("from_table"))), get_table(str(raw.get("to_table")))
    entries: dict[str, MappingEntry] = {}
    for code, spec in raw["map"].items():
        if not isinstance(code, str) or not isinstance(spec, dict) or not isinstance(spec.get("to"), str):
            raise ConfigError(f'entry {code!r} must be "code": {{to: "code", exact: bool}}', where=where)
        if code not in src or spec["to"] not in dst:
            raise ConfigError(f"entry {code!r} → {spec['to']!r} names a code outside its table", where=where)
        entries[code] = MappingEntry(
            code, spec["to"], bool(spec.get("exact", False)), str(spec.get("note", ""))
        )
    return CodeMapping(
        name=str(raw.get("name") or path.stem),
        label=str(raw.get("label") or ""),
        from_table=src.name,
        to_table=dst.name,
        entries=MappingProxyType(entries),
        source=str(raw.get("source") or "").strip(),
    )


@cache
def _mappings() -> dict[str, CodeMapping]:
    return {p.stem: load_mapping(p) for p in sorted((_data_dir() / "mappings").glob("*.yaml"))}


def list_mappings() -> list[str]:
    """Names of all code mappings, sorted."""
    return sorted(_mappings())


def get_mapping(name: str) -> CodeMapping:
    """The code mapping called ``name``; InputError naming the known mappings otherwise."""
    mappings = _mappings()
    if name not in mappings:
        raise InputError(
            f"unknown code mapping {name!r}", where="codes", why=f"known: {', '.join(sorted(mappings))}"
        )
    return mappings[name]


def map_education_1984(code: Any, *, strict: bool = False) -> str | None:
    """GB/T 4658-2006 code for a GB 4658-1984 code or label (1984 "90" 文盲 → 2006 "90" 其他, inexact)."""
    return get_mapping("education_1984_to_2006").map(code, strict=strict)


def education_1984_entry(code: Any) -> MappingEntry | None:
    """The 1984 → 2006 mapping entry (target, exact, note) for a 1984 code or label."""
    return get_mapping("education_1984_to_2006").entry(code)
