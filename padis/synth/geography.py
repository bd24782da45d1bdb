"""Real county-level divisions (GB/T 2260, from padis.standards) and where people live and come from."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from padis.errors import InputError
from padis.synth import calibration as cal


@dataclass
class Geography:
    """Counties of the chosen provinces (where people live) and of all (where migrants come from)."""

    provinces: list[str]
    county_codes: np.ndarray  # int64, every county nationwide
    county_province: np.ndarray  # int64 province prefix (two digits)
    names: dict[int, str]  # county code -> full name (province + prefecture + county)
    weights: np.ndarray  # relative population weight of each county
    predecessors: pl.DataFrame = field(default_factory=pl.DataFrame)  # code, successor, start, end

    @classmethod
    def load(cls, provinces: list[str], seed: int, year: int | None = None) -> Geography:
        """Counties valid now (a code's validity in the year an ID was issued is not checked)."""
        from padis.standards.divisions import get_divisions

        registry = get_divisions()
        all_provinces = sorted(cal.PROVINCE_POPULATION)
        for p in provinces:
            if p not in cal.PROVINCE_POPULATION:
                raise InputError(
                    f"unknown province code {p!r}",
                    where="--provinces",
                    why="use two-digit GB/T 2260 codes of the 31 provinces, e.g. 11,13",
                )
        codes, prov, names = [], [], {}
        for p in all_provinces:
            pname = registry.name(p + "0000") or ""
            for d in registry.counties(p + "0000", year):
                code = int(d.code)
                codes.append(code)
                prov.append(int(p))
                parent = registry.parent(d.code)
                pre = registry.name(parent) if parent and parent[2:4] != "00" else ""
                pre = "" if pre in ("市辖区", "县", "省直辖县级行政区划", pname) else pre
                names[code] = f"{pname}{pre or ''}{d.name}"
        county_codes = np.array(codes, dtype=np.int64)
        county_province = np.array(prov, dtype=np.int64)
        rng = np.random.default_rng([seed, 2260])
        raw = rng.lognormal(0.0, 0.6, county_codes.size)
        weights = np.zeros(county_codes.size)
        for p in all_provinces:
            m = county_province == int(p)
            weights[m] = raw[m] / raw[m].sum() * cal.PROVINCE_POPULATION[p]
        validity = (
            registry.validity_frame()
            .group_by("code")
            .agg(start=pl.col("start_year").min(), end=pl.col("end_year").max())
        )
        predecessors = (
            registry.successor_frame()
            .filter(pl.col("kind") != "parent")
            .join(validity, on="code", how="inner", maintain_order="left")
            .join(
                validity.select(successor="code", successor_start="start"),
                on="successor",
                how="inner",
                maintain_order="left",
            )
            .select(
                code=pl.col("code").cast(pl.Int64),
                successor=pl.col("successor").cast(pl.Int64),
                start=pl.col("start").fill_null(0),
                end=pl.col("end").fill_null(9999),
                successor_start=pl.col("successor_start").fill_null(0),
            )
            .sort("successor", "code")
        )
        return cls(list(provinces), county_codes, county_province, names, weights, predecessors)

    def _pick(self, rng: np.random.Generator, mask: np.ndarray, size: int) -> np.ndarray:
        idx = np.flatnonzero(mask)
        p = self.weights[idx] / self.weights[idx].sum()
        return self.county_codes[idx[rng.choice(idx.size, size=size, p=p)]]

    def draw_residence(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Counties of the chosen provinces, weighted by population."""
        return self._pick(rng, np.isin(self.county_province, [int(p) for p in self.provinces]), size)

    def draw_origin(self, rng: np.random.Generator, residence: np.ndarray) -> np.ndarray:
        """Registered county of floating people: another county of the province, or another province."""
        out = self.other_county(rng, residence)
        inter = np.flatnonzero(rng.random(residence.size) < cal.INTERPROVINCIAL_SHARE_OF_FLOATING)
        origins = np.array(sorted(cal.MIGRANT_ORIGIN_WEIGHT), dtype=np.int64)
        w = np.array([cal.MIGRANT_ORIGIN_WEIGHT[str(o)] for o in origins], dtype=float)
        prov = origins[rng.choice(origins.size, size=inter.size, p=w / w.sum())]
        home = residence[inter] // 10000
        prov = np.where(prov == home, origins[(np.searchsorted(origins, prov) + 1) % origins.size], prov)
        for p in np.unique(prov):
            m = inter[prov == p]
            out[m] = self._pick(rng, self.county_province == p, m.size)
        return out

    def other_county(self, rng: np.random.Generator, current: np.ndarray) -> np.ndarray:
        """A different county of the same province for each county (the same if it is the only one)."""
        out = current.copy()
        prov = current // 10000
        for p in np.unique(prov):
            m = np.flatnonzero(prov == p)
            cand = self._pick(rng, self.county_province == p, m.size)
            again = self._pick(rng, self.county_province == p, m.size)
            out[m] = np.where(cand == current[m], again, cand)
        return out

    def draw_ethnicity(self, rng: np.random.Generator, registered: np.ndarray) -> np.ndarray:
        """GB 3304 ethnicity codes by the composition of the registered province."""
        out = np.full(registered.size, "01", dtype="<U2")
        prov = registered // 10000
        for p in np.unique(prov):
            m = np.flatnonzero(prov == p)
            table = cal.ETHNICITY_BY_PROVINCE.get(str(p), cal.DEFAULT_ETHNICITY)
            codes = np.array(list(table))
            w = np.array(list(table.values()), dtype=float)
            out[m] = codes[rng.choice(codes.size, size=m.size, p=w / w.sum())]
        return out

    def id_region(self, registered: np.ndarray, year: np.ndarray) -> np.ndarray:
        """Address code of the ID: the registered county, or its predecessor if the county was created after
        ``year`` (the year the number was first issued); up to three renamings back."""
        out = registered.copy()
        if self.predecessors.is_empty():
            return out
        for _ in range(3):
            frame = pl.DataFrame({"i": np.arange(out.size), "successor": out, "y": year})
            hit = (
                frame.join(self.predecessors, on="successor", how="inner", maintain_order="left")
                .filter(pl.col("successor_start") > pl.col("y"))
                .with_columns(valid=(pl.col("start") <= pl.col("y")) & (pl.col("y") <= pl.col("end")))
                .sort("i", "valid", "start", "code", descending=[False, True, True, False])
                .unique(subset="i", keep="first", maintain_order=True)
            )
            if hit.is_empty():
                break
            out[hit["i"].to_numpy()] = hit["code"].to_numpy()
        return out

    def province_of(self, codes: np.ndarray) -> np.ndarray:
        """Two-digit province prefix of county codes."""
        return codes // 10000

    def full_names(self, codes: np.ndarray) -> np.ndarray:
        """Full names of counties (object array)."""
        uniq, inv = np.unique(codes, return_inverse=True)
        return np.array([self.names.get(int(c), "") for c in uniq], dtype=object)[inv]
