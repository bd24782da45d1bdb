"""Realistic recording errors, each with its own rate, injected in bulk and listed in the ground truth."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import polars as pl
import yaml

from padis.errors import ConfigError
from padis.synth.extracts import Column, Dataset
from padis.synth.names import compose, get_name_tables
from padis.synth.population import Population

NAME_ERRORS = ("name_typo", "name_homophone", "name_traditional", "name_swap")
ID_ERRORS = ("id_mistype", "id_transpose", "id_old15", "id_missing")
DATE_ERRORS = ("date_format", "date_daymonth_swap")


@dataclass
class ErrorRates:
    """Probability of each error type for every value it can apply to (duplicate: per record)."""

    name_typo: float = 0.004
    name_homophone: float = 0.01
    name_traditional: float = 0.003
    name_swap: float = 0.05  # of names without a Han surname (minority and foreign names)
    id_mistype: float = 0.004
    id_transpose: float = 0.002
    id_old15: float = 0.01  # of numbers of people born before 1999
    id_missing: float = 0.01
    stale_address: float = 0.1  # of people who moved
    date_format: float = 0.01
    date_daymonth_swap: float = 0.003  # of dates whose day is 12 or less
    duplicate: float = 0.005
    late_report: float = 0.02
    field_disagreement: float = 0.01

    @classmethod
    def names(cls) -> list[str]:
        """Every error type."""
        return [f.name for f in fields(cls)]

    def with_overrides(self, pairs: list[str]) -> ErrorRates:
        """Apply ``TYPE=RATE`` strings (from ``--error-rate``)."""
        out = ErrorRates(**{k: getattr(self, k) for k in self.names()})
        for pair in pairs:
            key, sep, value = pair.partition("=")
            out._set(key.strip(), value.strip() if sep else "", where="--error-rate")
        return out

    def with_file(self, path: Path) -> ErrorRates:
        """Apply rates from a YAML file ``{type: rate}``."""
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError("cannot read the errors config", where=str(path), why=str(exc)) from exc
        if not isinstance(data, dict):
            raise ConfigError("errors config must map error types to rates", where=str(path))
        out = ErrorRates(**{k: getattr(self, k) for k in self.names()})
        for key, value in data.items():
            out._set(str(key), str(value), where=str(path))
        return out

    def _set(self, key: str, value: str, *, where: str) -> None:
        if key not in self.names():
            raise ConfigError(
                f"unknown error type {key!r}",
                where=where,
                why="known: " + ", ".join(self.names()),
            )
        try:
            rate = float(value)
        except ValueError as exc:
            raise ConfigError(f"rate of {key} must be a number", where=where, why=f"got {value!r}") from exc
        if not 0 <= rate <= 0.5:
            raise ConfigError(f"rate of {key} must be between 0 and 0.5", where=where, why=f"got {rate}")
        setattr(self, key, rate)

    def as_dict(self) -> dict[str, float]:
        """The rates by type."""
        return {k: getattr(self, k) for k in self.names()}


@dataclass
class Injector:
    """Applies errors to one dataset at a time and collects the error list and eligibility counts."""

    rates: ErrorRates
    rng: np.random.Generator
    pop: Population
    persons: pl.DataFrame  # person frame (positions = person index)
    previous_residence: np.ndarray  # int64 per person, 0 when never moved
    local_codes: dict[str, list[str]]

    def __post_init__(self) -> None:
        self.found: list[pl.DataFrame] = []
        self.counts: dict[str, dict[str, list[int]]] = {}

    def _count(self, dataset: str, kind: str, eligible: int, injected: int) -> None:
        entry = self.counts.setdefault(dataset, {}).setdefault(kind, [0, 0])
        entry[0] += eligible
        entry[1] += injected

    def apply(self, ds: Dataset) -> pl.DataFrame:
        """The dataset's frame with errors (and duplicates) injected; records the errors."""
        frame = ds.frame
        for col in ds.columns:
            if col.name not in frame.columns or col.name == ds.record_id:
                continue
            kinds = self._kinds(col)
            if not kinds:
                continue
            frame = self._column(ds, frame, col, kinds)
        return self._duplicates(ds, frame)

    def _kinds(self, col: Column) -> tuple[str, ...]:
        base: tuple[str, ...] = ()
        if col.kind == "name":
            base = NAME_ERRORS
        elif col.kind == "id":
            base = ID_ERRORS
        elif col.kind == "date":
            base = DATE_ERRORS
        elif col.kind == "report":
            base = ("late_report",) + DATE_ERRORS
        return base + col.errors

    def _column(self, ds: Dataset, frame: pl.DataFrame, col: Column, kinds: tuple[str, ...]) -> pl.DataFrame:
        n = frame.height
        u = self.rng.random(n)
        current = frame[col.name].cast(pl.String)
        low = 0.0
        ref = frame[col.ref].to_numpy() if col.ref in frame.columns else np.full(n, -1)
        present = current.is_not_null().to_numpy()
        for kind in kinds:
            rate = getattr(self.rates, kind)
            eligible = self._eligible(kind, frame, col, ref, present)
            hit = np.flatnonzero(eligible & (u >= low) & (u < low + rate))
            low += rate
            self._count(ds.name, kind, int(eligible.sum()), int(hit.size))
            if not hit.size:
                continue
            recorded = pl.Series(self._corrupt(kind, frame, col, ref, hit), dtype=pl.String, strict=False)
            self.found.append(
                pl.DataFrame(
                    {
                        "dataset": pl.Series([ds.name] * hit.size, dtype=pl.String),
                        "_row": hit.astype(np.int64),
                        "field": pl.Series(
                            [col.target or ("event_date" if col.kind == "report" else col.name)] * hit.size,
                            dtype=pl.String,
                        ),
                        "column": pl.Series([col.name] * hit.size, dtype=pl.String),
                        "error_type": pl.Series([kind] * hit.size, dtype=pl.String),
                        "true_value": current.gather(hit),
                        "recorded_value": recorded,
                    }
                )
            )
            current = current.scatter(hit, recorded)
        return frame.with_columns(current.alias(col.name))

    # -- which values an error type can apply to ---------------------------------------------------
    def _eligible(
        self, kind: str, frame: pl.DataFrame, col: Column, ref: np.ndarray, present: np.ndarray
    ) -> np.ndarray:
        pop = self.pop
        r = np.maximum(ref, 0)
        has_ref = ref >= 0
        if kind in ("name_typo",):
            return present & has_ref & (pop["name_s"][r] >= 0)
        if kind == "name_homophone":
            t = get_name_tables()
            last = np.where(pop["name_b"][r] >= 0, pop["name_b"][r], pop["name_a"][r])
            return present & has_ref & (pop["name_s"][r] >= 0) & (t.homophone_of[last, 0] >= 0)
        if kind == "name_traditional":
            chars = list(get_name_tables().traditional)
            return present & frame[col.name].str.contains_any(chars).fill_null(False).to_numpy()
        if kind == "name_swap":
            return present & has_ref & (pop["name_s"][r] < 0) & (pop["name_b"][r] >= 0)
        if kind in ("id_mistype", "id_transpose", "id_missing"):
            return present
        if kind == "id_old15":
            born = pop["birth_date"][r]
            return present & has_ref & (born < np.datetime64("1999-01-01"))
        if kind == "date_format":
            return present & (len(col.formats) > 1)
        if kind == "date_daymonth_swap":
            d = frame[f"_d_{col.name}"]
            day, month = d.dt.day().to_numpy(), d.dt.month().to_numpy()
            return present & (day <= 12) & (day != month)
        if kind == "late_report":
            return present & (f"_e_{col.name}" in frame.columns)
        if kind == "stale_address":
            prev = self.previous_residence[r]
            current = frame[col.name].cast(pl.Int64, strict=False).fill_null(0).to_numpy()
            return present & has_ref & (prev > 0) & (prev != current)
        if kind == "field_disagreement":
            return present & (len(self._codes_for(frame, col)) > 1)
        return np.zeros(len(ref), dtype=bool)

    def _codes_for(self, frame: pl.DataFrame, col: Column) -> list[str]:
        if col.codes:
            return sorted(set(col.codes))
        return sorted(set(frame[col.name].drop_nulls().unique().to_list()))

    # -- what the recorded value becomes -----------------------------------------------------------
    def _corrupt(self, kind: str, frame: pl.DataFrame, col: Column, ref: np.ndarray, hit: np.ndarray) -> list:
        if hit.size == 0:
            return []
        pop, rng = self.pop, self.rng
        values = frame[col.name].gather(hit)
        r = ref[hit]
        t = get_name_tables()
        if kind in NAME_ERRORS:
            s, a, b, dot = (
                pop["name_s"][r].copy(),
                pop["name_a"][r].copy(),
                pop["name_b"][r].copy(),
                pop["name_dot"][r],
            )
            if kind == "name_typo":
                wrong = t.wrong_pool[rng.integers(0, t.wrong_pool.size, hit.size)]
                second = (b >= 0) & (rng.random(hit.size) < 0.5)
                same = np.where(second, b, a) == wrong
                wrong = np.where(
                    same, t.wrong_pool[(np.searchsorted(t.wrong_pool, wrong) + 1) % t.wrong_pool.size], wrong
                )
                a = np.where(second, a, wrong)
                b = np.where(second, wrong, b)
            elif kind == "name_homophone":
                alts = t.homophone_of[np.where(b >= 0, b, a)]
                width = (alts >= 0).sum(axis=1)
                pick = alts[np.arange(hit.size), (rng.random(hit.size) * width).astype(int)]
                a = np.where(b >= 0, a, pick)
                b = np.where(b >= 0, pick, b)
            elif kind == "name_traditional":
                conv = values.str.replace_many(t.traditional)
                return conv.to_list()
            else:  # swap
                a, b = b, a
            return compose(s, a, b, dot)["name"].to_list()
        if kind == "id_missing":
            return [None] * hit.size
        if kind == "id_old15":
            return self.persons["id_number_15"].gather(r).to_list()
        if kind in ("id_mistype", "id_transpose"):
            arr = np.array(values.to_list(), dtype="<U18")
            width = arr.dtype.itemsize // 4
            ch = arr.view("U1").reshape(hit.size, width).copy()
            length = np.char.str_len(arr)
            if kind == "id_mistype":
                pos = (rng.random(hit.size) * np.minimum(length, 17)).astype(int)
                cur = ch[np.arange(hit.size), pos]
                digit = np.where(np.char.isdigit(cur), np.char.replace(cur, "X", "0"), "0").astype(int)
                ch[np.arange(hit.size), pos] = ((digit + rng.integers(1, 10, hit.size)) % 10).astype(str)
            else:
                differ = ch[:, :-1] != ch[:, 1:]
                differ &= np.arange(width - 1)[None, :] < (length[:, None] - 1)
                score = rng.random(differ.shape) * differ
                pos = score.argmax(axis=1)
                rows = np.arange(hit.size)
                left = ch[rows, pos].copy()
                ch[rows, pos] = ch[rows, pos + 1]
                ch[rows, pos + 1] = left
            joined = ch.view(f"U{width}").ravel()
            return joined.tolist()
        if kind in DATE_ERRORS or kind == "late_report":
            true_dates = frame[f"_d_{col.name}"].gather(hit)
            if kind == "late_report":
                # months after the event, and after the date it would normally have been reported
                event = frame[f"_e_{col.name}"].gather(hit)
                late = pl.DataFrame(
                    {"e": event, "r": true_dates, "k": rng.integers(60, 366, hit.size)}
                ).select(pl.max_horizontal("e", "r") + pl.duration(days=pl.col("k")))["e"]
                return late.dt.strftime(col.formats[0]).to_list()
            if kind == "date_format":
                alt = [f for f in col.formats[1:]]
                choice = rng.integers(0, len(alt), hit.size)
                out = np.empty(hit.size, dtype=object)
                for i, f in enumerate(alt):
                    m = choice == i
                    out[m] = true_dates.filter(pl.Series(m)).dt.strftime(f).to_numpy()
                return out.tolist()
            swapped = pl.DataFrame({"d": true_dates}).select(
                pl.date(pl.col("d").dt.year(), pl.col("d").dt.day(), pl.col("d").dt.month()).alias("d")
            )["d"]
            return swapped.dt.strftime(col.formats[0]).to_list()
        if kind == "stale_address":
            return self.previous_residence[r].astype(str).tolist()
        if kind == "field_disagreement":
            codes = np.array(self._codes_for(frame, col), dtype=object)
            cur = values.to_numpy()
            pick = codes[rng.integers(0, codes.size, hit.size)]
            again = codes[rng.integers(0, codes.size, hit.size)]
            pick = np.where(pick == cur, again, pick)
            pick = np.where(
                pick == cur, codes[(np.searchsorted(codes, cur.astype(str)) + 1) % codes.size], pick
            )
            return pick.tolist()
        raise AssertionError(kind)

    def _duplicates(self, ds: Dataset, frame: pl.DataFrame) -> pl.DataFrame:
        """Register some people twice: the copy gets its own record key."""
        n = frame.height
        hit = np.flatnonzero(self.rng.random(n) < self.rates.duplicate)
        self._count(ds.name, "duplicate", n, int(hit.size))
        frame = frame.with_columns(_dup_of=pl.lit(None, dtype=pl.Int64), _row=pl.int_range(n, dtype=pl.Int64))
        if hit.size:
            copies = frame[hit].with_columns(
                _dup_of=pl.col("_row"), _row=pl.int_range(n, n + hit.size, dtype=pl.Int64)
            )
            frame = pl.concat([frame, copies])
        return frame
