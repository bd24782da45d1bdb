"""Linkage settings (YAML): id column, columns with comparison types, blocking rules and thresholds.

```yaml
id_column: record_id          # unique per input file
source_column: dataset        # optional: which file/agency a row came from
columns:
  - {name: id_number, type: id_number}
  - {name: name, type: chinese_name}
  - {name: birth_date, type: birth_date}
  - {name: sex, type: sex}
  - {name: division, type: division}
  - {name: address, type: address}
blocking: default             # or a list of rules, each a list of column keys or a SQL condition
thresholds: {match: 0.9, review_low: 0.3}
```
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from padis.errors import ConfigError
from padis.linkage.comparisons import CATALOGUE

# Chosen on `padis synth` ground truth (see bench/results/linkage.md): pairs at or above MATCH link,
# pairs in [REVIEW_LOW, MATCH) go to clerical review.
DEFAULT_MATCH = 0.9
DEFAULT_REVIEW_LOW = 0.2


@dataclass(frozen=True)
class ColumnSpec:
    """One input column and its comparison type."""

    name: str
    type: str


@dataclass
class LinkSettings:
    """What to link on: the id column, typed columns, blocking rules, thresholds."""

    id_column: str
    columns: list[ColumnSpec]
    source_column: str | None = None
    blocking: list[list[str] | str] | None = None
    match_threshold: float = DEFAULT_MATCH
    review_low: float = DEFAULT_REVIEW_LOW
    max_pairs_u: float = 2e6
    seed: int = 42
    extra: dict[str, Any] = field(default_factory=dict)

    def of_type(self, type_name: str) -> list[str]:
        """Names of the columns with comparison type ``type_name``."""
        return [c.name for c in self.columns if c.type == type_name]

    def to_dict(self) -> dict[str, Any]:
        """The settings as plain data (for saving with a model)."""
        return {
            "id_column": self.id_column,
            "source_column": self.source_column,
            "columns": [{"name": c.name, "type": c.type} for c in self.columns],
            "blocking": self.blocking if self.blocking is not None else "default",
            "thresholds": {"match": self.match_threshold, "review_low": self.review_low},
            "training": {"max_pairs_u": self.max_pairs_u, "seed": self.seed},
        }


def parse_settings(data: Any, where: str = "settings") -> LinkSettings:
    """Validate plain data (as read from YAML) into ``LinkSettings``."""
    if not isinstance(data, dict):
        raise ConfigError("settings must be a mapping", where=where, why="expected keys id_column, columns")
    id_column = data.get("id_column")
    if not isinstance(id_column, str) or not id_column:
        raise ConfigError("missing id_column", where=where, why="name the column that identifies each row")
    raw_cols = data.get("columns")
    if not isinstance(raw_cols, list) or not raw_cols:
        raise ConfigError("missing columns", where=where, why="list the columns to compare with their types")
    columns: list[ColumnSpec] = []
    for i, item in enumerate(raw_cols):
        if isinstance(item, str):
            item = {"name": item, "type": "exact"}
        if not isinstance(item, dict) or "name" not in item:
            raise ConfigError(f"column {i + 1} has no name", where=where, why="use {name: ..., type: ...}")
        ctype = str(item.get("type", "exact"))
        if ctype not in CATALOGUE:
            raise ConfigError(
                f"unknown comparison type {ctype!r} for column {item['name']!r}",
                where=where,
                why="known: " + ", ".join(sorted(CATALOGUE)),
            )
        columns.append(ColumnSpec(str(item["name"]), ctype))
    names = [c.name for c in columns]
    if len(set(names)) != len(names):
        raise ConfigError("a column is listed twice", where=where, why=", ".join(names))
    blocking = data.get("blocking", "default")
    if blocking in (None, "default"):
        blocking = None
    elif not isinstance(blocking, list):
        raise ConfigError("blocking must be 'default' or a list of rules", where=where)
    thresholds = data.get("thresholds") or {}
    training = data.get("training") or {}
    try:
        match = float(thresholds.get("match", DEFAULT_MATCH))
        low = float(thresholds.get("review_low", DEFAULT_REVIEW_LOW))
    except (TypeError, ValueError) as exc:
        raise ConfigError("thresholds must be numbers", where=where, why=str(exc)) from exc
    if not 0 < low <= match < 1:
        raise ConfigError("thresholds out of range", where=where, why="need 0 < review_low <= match < 1")
    return LinkSettings(
        id_column=id_column,
        columns=columns,
        source_column=data.get("source_column"),
        blocking=blocking,
        match_threshold=match,
        review_low=low,
        max_pairs_u=float(training.get("max_pairs_u", 2e6)),
        seed=int(training.get("seed", 42)),
    )


def load_settings(path: str | Path) -> LinkSettings:
    """Read a settings YAML file."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError("settings file not found", where=str(p))
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(
            "settings file is not valid YAML", where=str(p), why=str(exc).splitlines()[0]
        ) from exc
    return parse_settings(data, where=str(p))


def person_settings(
    id_column: str = "record_id", source_column: str | None = "dataset", *, with_address: bool = True
) -> LinkSettings:
    """Settings for padis's own linkage schema (dictionary fields of the person record)."""
    cols = [
        ColumnSpec("id_number", "id_number"),
        ColumnSpec("name", "chinese_name"),
        ColumnSpec("birth_date", "birth_date"),
        ColumnSpec("sex", "sex"),
        ColumnSpec("division", "division"),
    ]
    if with_address:
        cols.append(ColumnSpec("address", "address"))
    return LinkSettings(id_column=id_column, columns=cols, source_column=source_column)
