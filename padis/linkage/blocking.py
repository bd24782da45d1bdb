"""Blocking rules: which record pairs Splink scores at all (keep ≥ 99.5 % of true pairs, near-linear work)."""

from __future__ import annotations

from itertools import combinations

from splink import block_on

from padis.errors import ConfigError
from padis.linkage.comparisons import CATALOGUE
from padis.linkage.settings import LinkSettings


def column_keys(settings: LinkSettings) -> dict[str, dict[str, str]]:
    """For each input column, its blocking keys (key name → derived column)."""
    return {c.name: CATALOGUE[c.type].keys(c.name) for c in settings.columns}


def default_rules(settings: LinkSettings) -> list[list[str] | str]:
    """Rules from the column types present: identity-number parts alone, then pairs of the other keys."""
    keys = column_keys(settings)
    rules: list[list[str] | str] = []
    by_type = {c.name: c.type for c in settings.columns}
    for col, k in keys.items():
        if by_type[col] == "id_number":
            rules += [[k["id"]], [k["id_pre"]], [k["id_tail"]], [k["id_rs"]]]
    names = [keys[c] for c in settings.of_type("chinese_name")]
    dates = [keys[c] for c in settings.of_type("birth_date") + settings.of_type("date")]
    places = [keys[c] for c in settings.of_type("division")]
    for n in names:
        for d in dates:
            rules += [[n["name_py"], d["date"]], [n["name"], d["year"]]]
            # Name order swapped: the swapped form of one side equals the other side's name.
            rules.append(f'l."{n["name_swap"]}" = r."{n["name"]}" AND l."{d["year"]}" = r."{d["year"]}"')
        for p in places:
            # Province, not county: a person seen where they work, study or moved to.
            rules.append([n["name"], p["province"]])
    for d in dates:
        for p in places:
            rules.append([d["date"], p["province"]])
    if not rules:
        # Generic files: every pair of the columns' first keys.
        firsts = [next(iter(k.values())) for k in keys.values()]
        rules = [list(pair) for pair in combinations(firsts, 2)] or [[firsts[0]]]
    return rules


def user_rules(settings: LinkSettings) -> list[list[str] | str]:
    """Rules written in the settings: a list of column names (their first key) or a SQL condition."""
    keys = column_keys(settings)
    out: list[list[str] | str] = []
    for i, rule in enumerate(settings.blocking or []):
        if isinstance(rule, str):
            out.append(rule)
            continue
        if not isinstance(rule, list) or not rule:
            raise ConfigError(f"blocking rule {i + 1} is empty", where="settings: blocking")
        cols = []
        for name in rule:
            if name in keys:
                cols.append(next(iter(keys[name].values())))
            else:
                raise ConfigError(
                    f"blocking rule {i + 1} names unknown column {name!r}",
                    where="settings: blocking",
                    why="use a column listed under columns",
                )
        out.append(cols)
    return out


def blocking_rules(settings: LinkSettings, *, between: bool = False) -> list[object]:
    """Splink blocking rules for ``settings``; ``between`` keeps only pairs from different sources."""
    rules = user_rules(settings) if settings.blocking else default_rules(settings)
    extra = ' AND l."__src" <> r."__src"' if between else ""
    out: list[object] = []
    for rule in rules:
        if isinstance(rule, str):
            out.append({"blocking_rule": rule + extra, "sql_dialect": "duckdb"})
        elif extra:
            cond = " AND ".join(f'l."{c}" = r."{c}"' for c in rule)
            out.append({"blocking_rule": cond + extra, "sql_dialect": "duckdb"})
        else:
            out.append(block_on(*rule))
    return out
