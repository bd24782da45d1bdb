"""A small, fast synthetic generator of Chinese person records with known truth (tests, fallback bench).

Columnar (NumPy/Polars): persons are drawn once, then each source takes a sample and injects the
errors the comparisons are meant for (typos in the ID, 15-digit IDs, homophones, traditional
characters, swapped names, swapped day/month, moves).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from padis.standards.idnumber import complete_ids

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武"
    "戴莫孔向汤单解仇区朴查盖"
) + ["欧阳", "司马", "诸葛", "尉迟", "上官"]
GIVEN = list(
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建国志文海波宁"
    "峰斌鑫俊浩宇晨欣怡梓涵子轩雨涵博文一诺思琪佳琪嘉怡睿泽晓东春梅秋菊冬雪友琴勤晶莹婷雯倩慧"
    "婉清淑贞德福禄寿喜庆安康乐永长荣兴旺翠凤龙虎豹鹤松柏竹兰菊梅荷莲琳瑶璐瑾瑜珊琪璇"
)
HOMOPHONE = {
    "琴": "勤",
    "勤": "琴",
    "明": "鸣",
    "华": "化",
    "伟": "玮",
    "芳": "方",
    "静": "靜",
    "丽": "莉",
    "军": "君",
    "涛": "滔",
    "峰": "锋",
    "婷": "亭",
    "晶": "精",
    "玲": "铃",
    "杰": "洁",
    "平": "萍",
}
TRAD = {
    "国": "國",
    "华": "華",
    "伟": "偉",
    "张": "張",
    "陈": "陳",
    "刘": "劉",
    "杨": "楊",
    "黄": "黃",
    "赵": "趙",
    "吴": "吳",
    "丽": "麗",
    "军": "軍",
    "涛": "濤",
    "龙": "龍",
    "凤": "鳳",
    "庆": "慶",
    "乐": "樂",
    "兴": "興",
    "东": "東",
    "红": "紅",
    "兰": "蘭",
    "莲": "蓮",
    "长": "長",
    "曾": "曾",
    "单": "單",
    "荣": "榮",
    "宁": "寧",
}
PROVINCES = ["11", "13", "32", "33", "37", "41", "44", "51"]


def _divisions(rng: np.random.Generator, n: int) -> np.ndarray:
    prov = rng.choice(PROVINCES, n)
    pref = rng.integers(1, 9, n)
    county = rng.integers(1, 16, n)
    return np.array([f"{p}{f:02d}{c:02d}" for p, f, c in zip(prov, pref, county, strict=True)])


def persons(n: int, seed: int = 1) -> pl.DataFrame:
    """``n`` true persons with valid 18-digit IDs."""
    rng = np.random.default_rng(seed)
    sw = np.linspace(3, 0.3, len(SURNAMES))
    surname = rng.choice(SURNAMES, n, p=sw / sw.sum())
    gw = np.linspace(2, 0.5, len(GIVEN))
    g1 = rng.choice(GIVEN, n, p=gw / gw.sum())
    g2 = np.where(rng.random(n) < 0.7, rng.choice(GIVEN, n, p=gw / gw.sum()), "")
    start = np.datetime64("1940-01-01")
    birth = start + rng.integers(0, 365 * 80, n).astype("timedelta64[D]")
    sex = rng.choice(["1", "2"], n)
    division = _divisions(rng, n)
    seq2 = rng.integers(0, 100, n)
    frame = pl.DataFrame(
        {
            "person_id": np.arange(1, n + 1, dtype=np.int64),
            "name": np.char.add(np.char.add(surname, g1), g2),
            "sex": sex,
            "birth_date": birth.astype("datetime64[D]").astype(str),
            "division": division,
            "street": rng.integers(1, 400, n),
        }
    )
    seq = pl.Series(seq2).cast(pl.Utf8).str.zfill(2) + pl.Series(sex).replace({"1": "1", "2": "2"})
    body = frame["division"] + frame["birth_date"].str.replace_all("-", "") + seq
    ids = complete_ids(body)
    return frame.with_columns(
        ids.alias("id_number"),
        (frame["division"].str.slice(0, 4) + "市" + frame["street"].cast(pl.Utf8) + "号").alias("address"),
    ).drop("street")


def _apply(rng: np.random.Generator, s: pl.Series, rate: float, fn) -> pl.Series:  # type: ignore[no-untyped-def]
    mask = pl.Series(rng.random(len(s)) < rate)
    return pl.select(pl.when(mask).then(fn(s)).otherwise(s)).to_series()


def _id_typo(s: pl.Series, rng: np.random.Generator) -> pl.Series:
    pos = pl.Series(rng.integers(6, 16, len(s)))
    digit = pl.Series(rng.integers(0, 10, len(s))).cast(pl.Utf8)
    return pl.select(s.str.slice(0, pos) + digit + s.str.slice(pos + 1)).to_series()


def _id_swap(s: pl.Series, rng: np.random.Generator) -> pl.Series:
    pos = pl.Series(rng.integers(6, 15, len(s)))
    return pl.select(
        s.str.slice(0, pos) + s.str.slice(pos + 1, 1) + s.str.slice(pos, 1) + s.str.slice(pos + 2)
    ).to_series()


def _to15(s: pl.Series) -> pl.Series:
    # Only numbers issued before 1999 (births in the 1900s) ever had a 15-digit form.
    old = s.str.slice(6, 2) == "19"
    return pl.select(pl.when(old).then(s.str.slice(0, 6) + s.str.slice(8, 9)).otherwise(s)).to_series()


def records(
    people: pl.DataFrame,
    sources: int = 3,
    seed: int = 2,
    error: float = 0.03,
    coverage: float = 0.8,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Source records drawn from ``people`` with errors; returns (records, truth)."""
    rng = np.random.default_rng(seed)
    frames = []
    for k in range(sources):
        take = rng.random(people.height) < coverage
        f = people.filter(pl.Series(take))
        n = f.height
        name = f["name"]
        name = _apply(rng, name, error, lambda s: s.str.replace_many(HOMOPHONE))
        name = _apply(rng, name, error, lambda s: s.str.replace_many(TRAD))
        name = _apply(rng, name, error / 2, lambda s: s.str.slice(1) + s.str.slice(0, 1))
        idn = f["id_number"]
        idn = _apply(rng, idn, error, lambda s: _id_typo(s, rng))
        idn = _apply(rng, idn, error / 2, lambda s: _id_swap(s, rng))
        if k == sources - 1:
            idn = _apply(rng, idn, 0.2, _to15)
        idn = _apply(rng, idn, 0.1 if k > 0 else 0.0, lambda s: pl.Series([None] * len(s), dtype=pl.Utf8))
        bd = f["birth_date"]
        bd = _apply(rng, bd, error, lambda s: s.str.slice(0, 5) + s.str.slice(8, 2) + "-" + s.str.slice(5, 2))
        bd = _apply(
            rng,
            bd,
            error,
            lambda s: (s.str.slice(0, 4).cast(pl.Int32) + 1).cast(pl.Utf8) + s.str.slice(4),
        )
        div = _apply(rng, f["division"], 0.1, lambda s: s.str.slice(0, 4) + "99")
        addr = _apply(
            rng, f["address"], 0.2, lambda s: s + "附" + pl.Series(rng.integers(1, 9, len(s))).cast(pl.Utf8)
        )
        frames.append(
            pl.DataFrame(
                {
                    "dataset": [f"src{k}"] * n,
                    "record_id": [f"R{k}-{i}" for i in range(n)],
                    "id_number": idn,
                    "name": name,
                    "sex": f["sex"],
                    "birth_date": bd,
                    "division": div,
                    "address": addr,
                    "person_id": f["person_id"],
                }
            )
        )
    allrec = pl.concat(frames)
    truth = allrec.select("dataset", "record_id", "person_id")
    return allrec.drop("person_id"), truth
