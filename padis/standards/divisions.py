"""GB/T 2260 administrative divisions with their history: names, levels, hierarchy, validity, successors.

The base data is python-stdnum's ``cn/loc.dat`` (every code since 1980 with the years of each name);
``padis standards divisions update FILE`` lays a newer official list over it (an overlay kept under
``<home>/divisions``). Successors of abolished codes are derived by the rule in
:mod:`padis.standards.divisions_successors`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from padis.errors import InputError
from padis.standards.divisions_source import NameSpan, read_loc_dat
from padis.standards.divisions_successors import SUMMARY_NAMES, Successor, code_end, code_start, level_of

if TYPE_CHECKING:
    import polars as pl

__all__ = ["Division", "DivisionRegistry", "NameSpan", "Successor", "get_divisions", "normalize_code"]

LEVELS = ("province", "prefecture", "county")
LEVEL_LABELS = {"province": "省级", "prefecture": "地级", "county": "县级"}
_CODE = re.compile(r"^\d{6}$")


def normalize_code(code: str | int, *, where: str = "division code") -> str:
    """A six-digit code as text; ``11`` and ``1101`` are widened to ``110000`` and ``110100``."""
    text = str(code).strip()
    if text.isdigit() and len(text) in (2, 4):
        text = text.ljust(6, "0")
    if not _CODE.match(text):
        raise InputError(f"not a six-digit division code: {text[:20]!r}", where=where,
                         why="GB/T 2260 codes have six digits, e.g. 110115")
    return text


@dataclass(frozen=True)
class Division:
    """One division code with every name it carried, its parent and (if abolished) its successors."""

    code: str
    level: str
    names: tuple[NameSpan, ...]
    parent: str | None
    successors: tuple[Successor, ...] = ()

    @property
    def name(self) -> str:
        """The latest name."""
        return self.names[-1].name

    @property
    def start_year(self) -> int | None:
        """First year in use (``None`` = before the data begins, 1980)."""
        return code_start(self.names)

    @property
    def end_year(self) -> int | None:
        """Last year in use (``None`` = still in use)."""
        return code_end(self.names)

    @property
    def is_current(self) -> bool:
        """Whether the code is in use now."""
        return self.end_year is None

    @property
    def is_summary(self) -> bool:
        """Whether the row only totals the units below it (市辖区, 县, 省直辖县级行政单位)."""
        return self.name in SUMMARY_NAMES

    def name_in(self, year: int) -> str | None:
        """The name used in ``year``, or ``None`` if the code was not in use then."""
        for span in reversed(self.names):
            if span.covers(year):
                return span.name
        return None

    def valid_in(self, year: int) -> bool:
        """Whether the code was in use in ``year``."""
        return any(span.covers(year) for span in self.names)


class DivisionRegistry:
    """Look-ups over every division code ever used."""

    def __init__(self, divisions: Mapping[str, Division], *, source: str = "") -> None:
        self._by_code = dict(divisions)
        self.source = source
        children: dict[str | None, list[str]] = defaultdict(list)
        for code, division in self._by_code.items():
            children[division.parent].append(code)
        self._children = {key: sorted(value) for key, value in children.items()}

    def __len__(self) -> int:
        return len(self._by_code)

    def __iter__(self) -> Iterator[Division]:
        return iter(self._by_code.values())

    # -- single codes ------------------------------------------------------------------------------
    def get(self, code: str | int) -> Division | None:
        """The division with this code, or ``None`` if it was never used (bad shapes too)."""
        text = str(code).strip()
        return self._by_code.get(text)

    def require(self, code: str | int) -> Division:
        """The division with this code; an ``InputError`` if it was never used."""
        text = normalize_code(code)
        division = self._by_code.get(text)
        if division is None:
            raise InputError(f"unknown division code {text}", where="GB/T 2260",
                             why="never used in the installed list; a newer list may be loaded with "
                                 "`padis standards divisions update FILE`")
        return division

    def is_known(self, code: str | int) -> bool:
        """Whether the code was ever used."""
        return self.get(code) is not None

    def name(self, code: str | int, year: int | None = None) -> str | None:
        """The latest name, or the name in ``year`` (``None`` if the code was not in use that year)."""
        division = self.require(code)
        return division.name if year is None else division.name_in(year)

    def level(self, code: str | int) -> str:
        """``province``, ``prefecture`` or ``county``."""
        return self.require(code).level

    def parent(self, code: str | int) -> str | None:
        """The code of the unit directly above (``None`` for a province)."""
        return self.require(code).parent

    def ancestors(self, code: str | int) -> list[str]:
        """Codes above this one, nearest first, up to the province."""
        chain: list[str] = []
        parent = self.require(code).parent
        while parent is not None:
            chain.append(parent)
            parent = self._by_code[parent].parent
        return chain

    def contains(self, ancestor: str | int, code: str | int) -> bool:
        """Whether ``code`` lies in ``ancestor`` (a code contains itself)."""
        outer, inner = self.require(ancestor).code, self.require(code).code
        return outer == inner or outer in self.ancestors(inner)

    def successors(self, code: str | int) -> list[str]:
        """Codes that took over from an abolished code (empty for a code still in use)."""
        return [s.code for s in self.require(code).successors]

    def current(self, code: str | int) -> list[str]:
        """Codes in use now that the code became, following successors (itself if still in use)."""
        start = self.require(code)
        found: list[str] = []
        seen: set[str] = set()
        queue = [start]
        while queue:
            division = queue.pop(0)
            if division.code in seen:
                continue
            seen.add(division.code)
            if division.is_current:
                found.append(division.code)
            else:
                queue.extend(self._by_code[s.code] for s in division.successors)
        return sorted(set(found))

    def valid_in(self, code: str | int, year: int) -> bool:
        """Whether the code was in use in ``year``."""
        return self.require(code).valid_in(year)

    # -- lists -------------------------------------------------------------------------------------
    def _listed(self, codes: list[str], level: str, year: int | None) -> list[Division]:
        out = []
        for code in codes:
            division = self._by_code[code]
            if division.level != level or division.is_summary:
                continue
            if (division.is_current if year is None else division.valid_in(year)):
                out.append(division)
        return out

    def provinces(self, year: int | None = None) -> list[Division]:
        """Provinces in use now (or in ``year``)."""
        return self._listed(self._children.get(None, []), "province", year)

    def prefectures(self, province: str | int, year: int | None = None) -> list[Division]:
        """Prefecture-level units of a province, now (or in ``year``)."""
        prov = self.require(province)
        return self._listed(self._children.get(prov.code, []), "prefecture", year)

    def counties(self, province: str | int | None = None, year: int | None = None) -> list[Division]:
        """County-level units, of one province or all, now (or in ``year``); summary rows left out."""
        if province is None:
            codes = sorted(self._by_code)
        else:
            prov = self.require(province)
            if prov.level != "province":
                raise InputError(f"{prov.code} is a {prov.level}, not a province", where="divisions")
            codes = [c for c in sorted(self._by_code) if c[:2] == prov.code[:2]]
        return self._listed(codes, "county", year)

    def search(self, text: str) -> list[Division]:
        """Divisions any of whose names contain ``text``."""
        needle = text.strip()
        if not needle:
            return []
        return [d for d in self._by_code.values() if any(needle in s.name for s in d.names)]

    # -- frames for batch work ---------------------------------------------------------------------
    @cached_property
    def _validity(self) -> pl.DataFrame:
        import polars as pl

        rows = [(d.code, s.name, s.start_year, s.end_year) for d in self._by_code.values() for s in d.names]
        return pl.DataFrame(
            rows,
            schema={"code": pl.Utf8, "name": pl.Utf8, "start_year": pl.Int32, "end_year": pl.Int32},
            orient="row",
        ).sort(["code", "start_year"], nulls_last=False)

    def validity_frame(self) -> pl.DataFrame:
        """One row per name interval: ``code, name, start_year, end_year`` (null year = open)."""
        return self._validity

    @cached_property
    def _hierarchy(self) -> pl.DataFrame:
        import polars as pl

        rows = []
        for d in self._by_code.values():
            prefecture = d.code if d.level == "prefecture" else None
            if d.level == "county" and d.parent is not None and self._by_code[d.parent].level == "prefecture":
                prefecture = d.parent
            rows.append((d.code, d.level, prefecture, d.code[:2] + "0000", d.is_current))
        return pl.DataFrame(
            rows,
            schema={"code": pl.Utf8, "level": pl.Utf8, "prefecture_code": pl.Utf8,
                    "province_code": pl.Utf8, "current": pl.Boolean},
            orient="row",
        ).sort("code")

    def hierarchy_frame(self) -> pl.DataFrame:
        """One row per code: ``code, level, prefecture_code, province_code, current`` for joins."""
        return self._hierarchy

    @cached_property
    def _current(self) -> pl.DataFrame:
        import polars as pl

        rows = [(d.code, c) for d in self._by_code.values() for c in self.current(d.code)]
        schema = {"code": pl.Utf8, "current_code": pl.Utf8}
        return pl.DataFrame(rows, schema=schema, orient="row").sort(["code", "current_code"])

    def current_frame(self) -> pl.DataFrame:
        """``code, current_code``: every code with the code(s) in use now it became (itself if current)."""
        return self._current

    def successor_frame(self) -> pl.DataFrame:
        """One row per derived successor link: ``code, successor, kind``."""
        import polars as pl

        rows = [(d.code, s.code, s.kind) for d in self._by_code.values() for s in d.successors]
        return pl.DataFrame(rows, schema={"code": pl.Utf8, "successor": pl.Utf8, "kind": pl.Utf8},
                            orient="row").sort(["code", "successor"])


def parent_of(code: str, known: Mapping[str, object]) -> str | None:
    """The parent code by shape: county → its prefecture row if there is one, else the province."""
    level = level_of(code)
    if level == "province":
        return None
    province = code[:2] + "0000"
    if level == "prefecture":
        return province if province in known else None
    prefecture = code[:4] + "00"
    if prefecture in known:
        return prefecture
    return province if province in known else None


def build_registry(codes: Mapping[str, list[NameSpan]], *, source: str = "") -> DivisionRegistry:
    """Divisions with parents and derived successors from code → name spans."""
    from padis.standards.divisions_successors import derive_successors

    spans = {code: sorted(s, key=lambda span: (span.start_year or 0, span.end_year or 9999))
             for code, s in codes.items() if s}
    parents = {code: parent_of(code, spans) for code in spans}
    successors = derive_successors(spans, parents)
    divisions = {
        code: Division(code, level_of(code), tuple(spans[code]), parents[code], successors.get(code, ()))
        for code in sorted(spans)
    }
    return DivisionRegistry(divisions, source=source)


@lru_cache(maxsize=1)
def get_divisions() -> DivisionRegistry:
    """The registry of this process: stdnum's history plus any loaded newer lists (cached).

    A built registry is also pickled under ``<home>/divisions`` keyed by the stdnum version and the
    overlay, so later processes skip parsing and successor derivation (when the home folder exists).
    """
    from padis.settings import get_settings
    from padis.standards import divisions_store as store

    updates = store.load_overlay()
    cache = store.cached_registry_path(updates)
    cached = store.read_cached(cache)
    if isinstance(cached, DivisionRegistry):
        return cached
    codes = read_loc_dat()
    for update in updates:
        store.apply_update(codes, update)
    registry = build_registry(codes, source=store.describe_source(updates))
    if get_settings().home.is_dir():
        store.write_cached(cache, registry)
    return registry
