"""Chinese names: surname and given-name tables by sex and birth era, minority names, homophones."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import polars as pl
import yaml

ERAS = ("old", "mid", "young")
MINORITY_STYLES = ("dot", "pair", "single")


@dataclass(frozen=True)
class NameTables:
    """Every name token in one vocabulary, with the index arrays the samplers draw from."""

    tokens: np.ndarray  # object array of strings
    surname_idx: np.ndarray
    surname_p: np.ndarray
    chars: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]  # (sex, era) -> token idx, p
    whole: dict[tuple[str, str], np.ndarray]  # (sex, era) -> [n, 2] token idx (second -1 if single)
    single_share: dict[str, float]
    whole_share: dict[str, float]
    minority: dict[str, dict]  # ethnicity -> {style, han_share, male, female (token idx arrays)}
    homophone_of: np.ndarray  # [n_tokens, k] alternative tokens with the same reading, -1 padded
    wrong_pool: np.ndarray  # single-character tokens used as wrong characters
    traditional: dict[str, str]  # simplified char -> traditional char (chars that differ)


def _text(name: str) -> str:
    return resources.files("padis.synth.data").joinpath(name).read_text(encoding="utf-8")


def _unique(seq: str | list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in seq:
        seen.setdefault(item, None)
    return list(seen)


@lru_cache(maxsize=1)
def get_name_tables() -> NameTables:
    """Load the shipped name tables once."""
    vocab: dict[str, int] = {}

    def tok(word: str) -> int:
        return vocab.setdefault(word, len(vocab))

    rows = list(csv.DictReader(_text("surnames.csv").splitlines()))
    surname_idx = np.array([tok(r["surname"]) for r in rows])
    surname_p = np.array([float(r["share_pct"]) for r in rows])
    surname_p /= surname_p.sum()

    given = yaml.safe_load(_text("given_names.yaml"))
    chars: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
    whole: dict[tuple[str, str], np.ndarray] = {}
    for sex, key in (("1", "male"), ("2", "female")):
        for era in ERAS:
            entry = given[key][era]
            cs = _unique(entry["chars"])
            idx = np.array([tok(c) for c in cs])
            weight = 1.0 / (np.arange(len(cs)) + 4.0)
            chars[(sex, era)] = (idx, weight / weight.sum())
            names = _unique(entry["names"])
            pairs = np.array([[tok(n[0]), tok(n[1]) if len(n) > 1 else -1] for n in names])
            whole[(sex, era)] = pairs

    minority: dict[str, dict] = {}
    for code, entry in yaml.safe_load(_text("minority_names.yaml")).items():
        minority[str(code)] = {
            "style": entry["style"],
            "han_share": float(entry["han_share"]),
            "1": np.array([tok(w) for w in _unique(entry["male"])]),
            "2": np.array([tok(w) for w in _unique(entry["female"])]),
        }

    groups = [
        line.strip()
        for line in _text("homophones.txt").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    extra = "".join(line for line in _text("extra_chars.txt").splitlines() if not line.startswith("#"))
    for group in groups:
        for c in group:
            tok(c)
    for c in extra:
        tok(c)
    tokens = np.array(list(vocab), dtype=object)
    width = max(len(_unique(g)) for g in groups)
    homophone_of = np.full((len(tokens), width), -1, dtype=np.int64)
    for group in groups:
        members = _unique(group)
        for c in members:
            alts = [vocab[o] for o in members if o != c]
            homophone_of[vocab[c], : len(alts)] = alts
    singles = [i for i, t in enumerate(tokens) if len(t) == 1 and i not in set(surname_idx.tolist())]
    return NameTables(
        tokens=tokens,
        surname_idx=surname_idx,
        surname_p=surname_p,
        chars=chars,
        whole=whole,
        single_share={k: float(v) for k, v in given["single_share"].items()},
        whole_share={k: float(v) for k, v in given["whole_share"].items()},
        minority=minority,
        homophone_of=homophone_of,
        wrong_pool=np.array(singles),
        traditional=_traditional_map(tokens),
    )


def _traditional_map(tokens: np.ndarray) -> dict[str, str]:
    """Simplified -> traditional for every character in the vocabulary that differs and is GBK-encodable."""
    import opencc

    converter = opencc.OpenCC("s2t")
    chars = sorted({c for t in tokens for c in t})
    out = {}
    for c in chars:
        t = converter.convert(c)
        if t != c and len(t) == 1:
            try:
                t.encode("gbk")
            except UnicodeEncodeError:
                continue
            out[c] = t
    return out


def era_of(birth_year: np.ndarray) -> np.ndarray:
    """Era index (0 old, 1 mid, 2 young) of each birth year."""
    return np.digitize(birth_year, [1960, 1990])


def draw_names(
    rng: np.random.Generator,
    sex: np.ndarray,
    birth_year: np.ndarray,
    ethnicity: np.ndarray,
) -> dict[str, np.ndarray]:
    """Name tokens for each person: surname ``s``, given ``a``/``b`` (-1 = none), ``dot`` separator."""
    t = get_name_tables()
    n = len(sex)
    s = t.surname_idx[rng.choice(len(t.surname_idx), size=n, p=t.surname_p)]
    a = np.full(n, -1, dtype=np.int64)
    b = np.full(n, -1, dtype=np.int64)
    era = era_of(birth_year)
    u_whole, u_single = rng.random(n), rng.random(n)
    for sx in ("1", "2"):
        for e, era_name in enumerate(ERAS):
            m = np.flatnonzero((sex == sx) & (era == e))
            if m.size == 0:
                continue
            idx, p = t.chars[(sx, era_name)]
            a[m] = idx[rng.choice(len(idx), size=m.size, p=p)]
            second = idx[rng.choice(len(idx), size=m.size, p=p)]
            b[m] = np.where(u_single[m] < t.single_share[era_name], -1, second)
            pick = m[u_whole[m] < t.whole_share[era_name]]
            pairs = t.whole[(sx, era_name)][rng.integers(0, len(t.whole[(sx, era_name)]), pick.size)]
            a[pick], b[pick] = pairs[:, 0], pairs[:, 1]
    dot = np.zeros(n, dtype=bool)
    u_han = rng.random(n)
    for code, entry in t.minority.items():
        for sx in ("1", "2"):
            m = np.flatnonzero((ethnicity == code) & (sex == sx) & (u_han >= entry["han_share"]))
            if m.size == 0:
                continue
            pool = entry[sx]
            a[m] = pool[rng.integers(0, pool.size, m.size)]
            s[m] = -1
            if entry["style"] == "dot":
                fathers = t.minority[code]["1"]
                b[m] = fathers[rng.integers(0, fathers.size, m.size)]
                dot[m] = True
            elif entry["style"] == "pair":
                b[m] = pool[rng.integers(0, pool.size, m.size)]
            else:
                b[m] = -1
    return {"s": s, "a": a, "b": b, "dot": dot}


def compose(s: np.ndarray, a: np.ndarray, b: np.ndarray, dot: np.ndarray) -> pl.DataFrame:
    """Full name, surname and given name strings from name tokens (vectorized)."""
    tokens = np.append(get_name_tables().tokens, "")  # index -1 -> ""
    surname = pl.Series("surname", tokens[s], dtype=pl.String)
    first = pl.Series("a", tokens[a], dtype=pl.String)
    second = pl.Series("b", tokens[b], dtype=pl.String)
    sep = pl.Series("sep", np.where(dot, "·", ""), dtype=pl.String)
    frame = pl.DataFrame([surname, first, sep, second]).select(
        given_name=pl.concat_str("a", "sep", "b"),
        surname=pl.when(pl.col("surname") == "").then(None).otherwise(pl.col("surname")),
        name=pl.concat_str("surname", "a", "sep", "b"),
    )
    return frame.select("name", "surname", "given_name")
