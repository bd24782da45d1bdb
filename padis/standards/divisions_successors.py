"""Derive successor codes for abolished division codes (GB/T 2260 lists none, so a rule finds them).

For a code that ended in year ``E`` the first rule with a hit wins:

1. ``renamed`` — codes of the same level in the same province that started in ``E`` or ``E + 1`` and
   whose name shares the stem (大兴县 → 大兴区, 忻县地区 → 忻州地区: re-coded on becoming a district,
   a city, a prefecture-level city); failing that, the same in another province for stems of two or
   more characters (a province split off: 四川 → 重庆 1997, 广东 → 海南 1988).
2. ``same_stem`` — codes of the same level under the same parent, in use after ``E``, with the same
   name stem (a county merged into the same-named city beside it); failing that, the earliest code of
   the same level in the province that started later than ``E + 1`` with the same stem (re-coded after
   some years under another code: 安次县 → 安次区).
3. ``new_in_parent`` — the one code of the same level under the same parent that started in ``E`` or
   ``E + 1`` and that rules 1–2 gave to no other code, when there is exactly one (districts merged
   into a new one: 塘沽区 → 滨海新区).
4. ``children`` — for a prefecture: the prefectures that its own counties' successors lie in
   (雁北地区 → 大同市 + 朔州市).
5. ``new_in_parent`` again, one level up: when the parent itself ended and was succeeded, the one new
   code of the same level under the parent's successor that rules 1–2 gave to no other code
   (忻州市 under 忻州地区 → 忻府区 under 忻州市).
6. ``parent`` — the parent's successors, else the nearest ancestor still in use after ``E``.

Two names share the stem when, after dropping the generic suffix (县, 区, 市, 旗, 自治县, 地区, …),
one stem starts with the other and the shorter has at least two characters, or one when the longer has
two (通县 → 通州区). Ethnic words after the stem (青龙满族自治县) need no list: they follow the
shorter stem, so the prefix test covers them. A stem worn at the same time by units under different
parents of one province (城区, 郊区, 新华区) says nothing about identity, so it matches only under the
same parent. Summary rows
(市辖区, 县, 省直辖县级行政单位) are never successors.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from padis.standards.divisions_source import NameSpan

KINDS = ("renamed", "same_stem", "new_in_parent", "children", "parent")
SUMMARY_NAMES = frozenset({"市辖区", "县", "省直辖县级行政单位", "省直辖行政单位", "自治区直辖县级行政单位",
                           "省直辖县级行政区划", "自治区直辖县级行政区划"})
# Two units with the same stem under different parents for this many years at once: a common name.
GENERIC_OVERLAP = 3
DATA_START = 1980  # the first GB/T 2260 edition; an open start year means "by then"

_SUFFIX = re.compile(
    r"(特别行政区|自治区|自治州|自治县|自治旗|行政区|地区|林区|矿区|特区|新区|县|区|市|旗|盟|省)$"
)


@dataclass(frozen=True)
class Successor:
    """A code that took over from an abolished one, and which rule found it."""

    code: str
    kind: str


def stem(name: str) -> str:
    """The name without its generic suffixes (at most two: 忻县地区 → 忻); empty if nothing else is left."""
    base = name
    for _ in range(2):
        stripped = _SUFFIX.sub("", base)
        if stripped == base:
            break
        base = stripped
    return base


def stems_match(a: str, b: str) -> bool:
    """Whether two stems name the same place (one starts with the other, long enough to mean it)."""
    if not a or not b:
        return False
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    return long_.startswith(short) and (len(short) >= 2 or len(long_) <= 2)


def shares_stem(left: str, right: str) -> bool:
    """Whether two names look like the same place under another designation."""
    return stems_match(stem(left), stem(right))


def level_of(code: str) -> str:
    """``province``, ``prefecture`` or ``county`` from the shape of the code."""
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "prefecture"
    return "county"


def code_start(spans: Iterable[NameSpan]) -> int | None:
    """First year a code was in use (``None`` = before the data begins)."""
    starts = [s.start_year for s in spans]
    return None if any(y is None for y in starts) else min(starts)  # type: ignore[type-var]


def code_end(spans: Iterable[NameSpan]) -> int | None:
    """Last year a code was in use (``None`` = still in use)."""
    ends = [s.end_year for s in spans]
    return None if any(y is None for y in ends) else max(ends)  # type: ignore[type-var]


class _Deriver:
    """Holds the indexes one derivation run needs."""

    def __init__(self, codes: Mapping[str, list[NameSpan]], parents: Mapping[str, str | None]) -> None:
        self.codes, self.parents = codes, parents
        self.start = {c: code_start(s) for c, s in codes.items()}
        self.end = {c: code_end(s) for c, s in codes.items()}
        self.level = {c: level_of(c) for c in codes}
        self.last_start = max((y for y in self.start.values() if y is not None), default=DATA_START)
        self.stems = {c: {stem(s.name) for s in spans} - {""} for c, spans in codes.items()}
        self.initials = {c: {s[0] for s in stems} for c, stems in self.stems.items()}
        self.summary = {c for c, spans in codes.items() if spans[-1].name in SUMMARY_NAMES}
        self.generic = self._generic_stems()
        # Candidates by (province, level, first year) and by (parent, level), summary rows left out.
        self.started: dict[tuple[str, str, int | None], list[str]] = defaultdict(list)
        self.started_anywhere: dict[tuple[str, int | None], list[str]] = defaultdict(list)
        self.siblings: dict[tuple[str | None, str], list[str]] = defaultdict(list)
        self.children: dict[str | None, list[str]] = defaultdict(list)
        for c in sorted(codes):
            if c not in self.summary:
                self.started[(c[:2], self.level[c], self.start[c])].append(c)
                self.started_anywhere[(self.level[c], self.start[c])].append(c)
                self.siblings[(parents.get(c), self.level[c])].append(c)
            self.children[parents.get(c)].append(c)

    def _generic_stems(self) -> set[tuple[str, str, str]]:
        """(province, level, stem) worn at the same time by units under different parents (城区, 郊区)."""
        holders: dict[tuple[str, str, str], list[tuple[str | None, int, int]]] = defaultdict(list)
        for c, spans in self.codes.items():
            for span in spans:
                key = (c[:2], self.level[c], stem(span.name))
                years = (span.start_year or DATA_START, span.end_year or 9999)
                holders[key].append((self.parents.get(c), *years))
        generic = set()
        for key, worn in holders.items():
            if key[2] and any(pa != pb and min(ea, eb) - max(sa, sb) + 1 >= GENERIC_OVERLAP
                              for i, (pa, sa, ea) in enumerate(worn) for pb, sb, eb in worn[i + 1:]):
                generic.add(key)
        return generic

    def alive_after(self, code: str, year: int) -> bool:
        end = self.end.get(code)
        return end is None or end > year

    def named_like(self, code: str, candidates: Iterable[str], *, strict: bool = False) -> list[str]:
        mine = {a for a in self.stems[code] if len(a) >= 2} if strict else self.stems[code]
        initials = {a[0] for a in mine}
        out = []
        for c in candidates:
            if not initials & self.initials[c]:
                continue
            for a in mine:
                hit = [b for b in self.stems[c] if b[0] == a[0] and stems_match(a, b)]
                if not hit:
                    continue
                worn = {(p, self.level[code], x) for p in {code[:2], c[:2]} for x in (a, *hit)}
                if self.parents.get(c) == self.parents.get(code) or not worn & self.generic:
                    out.append(c)
                    break
        return out

    def by_names(self, code: str) -> tuple[list[str], str]:
        """Rules 1–3, which look only at names and years."""
        end = self.end[code]
        assert end is not None
        parent = self.parents.get(code)
        key = (code[:2], self.level[code])
        started = [c for y in (end, end + 1) for c in self.started[(*key, y)] if c != code]
        found = self.named_like(code, started)
        if found:
            return found, "renamed"
        # A province split off (Hainan 1988, Chongqing 1997): the same rule in the new province.
        moved = [c for y in (end, end + 1) for c in self.started_anywhere[(key[1], y)] if c[:2] != key[0]]
        found = self.named_like(code, moved, strict=True)
        if found:
            return found, "renamed"
        born = self.start[code] or 0
        later = [c for c in self.siblings[(parent, self.level[code])]
                 if c != code and self.alive_after(c, end) and (self.start[c] or 0) >= born]
        found = self.named_like(code, later)
        if found:
            return found, "same_stem"
        # Re-coded after a few years under another code: the earliest later code of the province.
        after = [c for y in range(end + 2, self.last_start + 1) for c in self.started[(*key, y)]]
        found = self.named_like(code, after)
        if found:
            first = min(self.start[c] or 0 for c in found)
            return [c for c in found if self.start[c] == first], "same_stem"
        return [], ""

    def new_sibling(self, code: str, claimed: set[str]) -> list[str]:
        """Rule 3: the one new code under the same parent that no other abolished name explains."""
        end = self.end[code]
        assert end is not None
        parent = self.parents.get(code)
        siblings = [c for c in self.siblings[(parent, self.level[code])]
                    if c != code and c not in claimed and self.start[c] in (end, end + 1)]
        return siblings if len(siblings) == 1 else []


def derive_successors(
    codes: Mapping[str, list[NameSpan]], parents: Mapping[str, str | None]
) -> dict[str, tuple[Successor, ...]]:
    """Successors for every code that ended, by the documented rule."""
    d = _Deriver(codes, parents)
    found: dict[str, tuple[list[str], str]] = {}
    ended = [c for c in sorted(codes) if d.end[c] is not None]
    for code in ended:
        found[code] = d.by_names(code)
    claimed = {c for codes_, _ in found.values() for c in codes_}
    for code in ended:
        if not found[code][0]:
            siblings = d.new_sibling(code, claimed)
            if siblings:
                found[code] = (siblings, "new_in_parent")

    # Rule 4: a prefecture goes where its counties went.
    for code in ended:
        if found[code][0] or d.level[code] != "prefecture":
            continue
        end = d.end[code]
        assert end is not None
        targets: set[str] = set()
        for child in d.children.get(code, []):
            child_end = d.end[child]
            if child_end is None or abs(child_end - end) > 1:
                continue
            for succ in found[child][0]:
                up = succ if d.level[succ] == "prefecture" else parents.get(succ)
                if up and up != code and d.level.get(up) == "prefecture" and up not in d.summary:
                    targets.add(up)
        if targets:
            found[code] = (sorted(targets), "children")

    # Rules 5–6: follow the parent's own succession.
    for code in ended:
        if found[code][0]:
            continue
        end = d.end[code]
        assert end is not None
        parent = parents.get(code)
        if parent is not None and not d.alive_after(parent, end) and found.get(parent, ([], ""))[0]:
            heirs = found[parent][0]
            new = [c for h in heirs for c in d.children.get(h, [])
                   if d.level[c] == d.level[code] and c not in d.summary and c not in claimed
                   and d.start[c] in (end, end + 1)]
            found[code] = (new, "new_in_parent") if len(new) == 1 else (list(heirs), "parent")
            continue
        while parent is not None and not d.alive_after(parent, end):
            parent = parents.get(parent)
        found[code] = ([parent], "parent") if parent is not None else ([], "")

    return {code: tuple(Successor(c, kind) for c in codes_) for code, (codes_, kind) in found.items()}
