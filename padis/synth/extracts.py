"""Agency extracts: each agency's rows, its own column names, local codes and date habits, and its mapping."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from padis.synth.geography import Geography
from padis.synth.ids import id_strings
from padis.synth.names import compose
from padis.synth.population import Population, ages_at

SEX_ZH = {"男": "1", "女": "2"}
SEX_MF = {"M": "1", "F": "2"}
ETHNICITY_ZH = {
    "汉族": "01",
    "蒙古族": "02",
    "回族": "03",
    "藏族": "04",
    "维吾尔族": "05",
    "苗族": "06",
    "彝族": "07",
    "壮族": "08",
    "布依族": "09",
    "朝鲜族": "10",
    "满族": "11",
    "侗族": "12",
    "瑶族": "13",
    "白族": "14",
    "土家族": "15",
    "哈尼族": "16",
    "哈萨克族": "17",
    "傣族": "18",
    "黎族": "19",
    "傈僳族": "20",
    "佤族": "21",
    "畲族": "22",
    "高山族": "23",
    "拉祜族": "24",
    "水族": "25",
    "东乡族": "26",
    "纳西族": "27",
    "景颇族": "28",
    "柯尔克孜族": "29",
    "土族": "30",
    "达斡尔族": "31",
    "仫佬族": "32",
    "羌族": "33",
    "布朗族": "34",
    "撒拉族": "35",
    "毛南族": "36",
    "仡佬族": "37",
    "锡伯族": "38",
    "阿昌族": "39",
    "普米族": "40",
    "塔吉克族": "41",
    "怒族": "42",
    "乌孜别克族": "43",
    "俄罗斯族": "44",
    "鄂温克族": "45",
    "德昂族": "46",
    "保安族": "47",
    "裕固族": "48",
    "京族": "49",
    "塔塔尔族": "50",
    "独龙族": "51",
    "鄂伦春族": "52",
    "赫哲族": "53",
    "门巴族": "54",
    "珞巴族": "55",
    "基诺族": "56",
}
MARITAL_ZH = {"未婚": "10", "已婚": "20", "初婚": "21", "再婚": "22", "丧偶": "30", "离婚": "40"}
EDUCATION_ZH = {
    "研究生": "10",
    "大学本科": "20",
    "大学专科": "30",
    "中专": "40",
    "高中": "60",
    "初中": "70",
    "小学": "80",
    "不识字或识字很少": "90",
}
STATUS_PS = {"0": "active", "1": "deceased", "2": "moved_out"}
# 奖励扶助 / 特别扶助 as the roll writes them (local labels → assistance_kind codes)
ASSISTANCE_ZH = {"奖扶": "10", "特扶-死亡": "22"}
# yuan per year: the national floors (奖扶 80 yuan a month since 2012; 特扶 for a deceased only child)
ASSISTANCE_AMOUNT = {"10": 960, "22": 5400}
ASSISTANCE_TAKE_UP = 0.6

CONTRACEPTION_ZH = {
    "男扎": "01",
    "女扎": "02",
    "上环": "03",
    "皮埋": "04",
    "口服药": "05",
    "避孕针": "06",
    "避孕套": "07",
    "外用药": "08",
    "其他": "09",
    "未避孕": "10",
}
CONTRACEPTION_P = {
    "03": 0.45,
    "02": 0.24,
    "07": 0.15,
    "01": 0.04,
    "05": 0.02,
    "04": 0.01,
    "06": 0.01,
    "08": 0.005,
    "09": 0.005,
    "10": 0.08,
}
SCHOOL_ZH = {"小学": "02", "初中": "03"}
MARRIAGE_TYPE_ZH = {"结婚": "1", "离婚": "2"}
ICD10_CAUSES = [
    "I63.9",
    "I21.9",
    "C34.9",
    "J44.9",
    "I61.9",
    "C16.9",
    "C22.9",
    "E14.9",
    "J18.9",
    "V89.2",
    "I50.9",
    "C15.9",
    "N18.9",
    "K74.6",
    "X59",
]


@dataclass
class Column:
    """One source column: its dictionary field and what kind of value it holds (for errors)."""

    name: str
    target: str | None  # dictionary field (None: only the record key / event date)
    kind: str = "text"  # text|name|id|date|code|division|report
    ref: str = "_p"  # hidden column with the index of the person the value is about
    formats: list[str] = field(default_factory=list)  # date formats, first is the agency's own
    codes: dict[str, str] = field(default_factory=dict)  # local value -> standard code
    errors: tuple[str, ...] = ()  # extra error types this column takes (stale_address, field_disagreement)


@dataclass
class Dataset:
    """An extract being built: its rows (with hidden ``_`` columns) and how its columns map."""

    agency: str
    dataset: str
    record: str
    record_id: str
    prefix: str
    frame: pl.DataFrame
    columns: list[Column]
    event_date: str | None = None

    @property
    def name(self) -> str:
        """File stem ``<agency>__<dataset>``."""
        return f"{self.agency}__{self.dataset}"

    def mapping(self) -> dict:
        """The mapping file content (docs/contracts.md, "Mapping file")."""
        out: dict = {
            "agency": self.agency,
            "record": self.record,
            "record_id": self.record_id,
            "columns": {c.name: c.target for c in self.columns if c.target},
        }
        codes = {c.target: dict(c.codes) for c in self.columns if c.target and c.codes}
        dates = {
            c.target: _parse_formats(c.formats)
            for c in self.columns
            if c.target and c.kind in ("date", "report")
        }
        if codes:
            out["codes"] = codes
        if dates:
            out["dates"] = dates
        if self.event_date:
            out["event_date"] = self.event_date
            fmt = next(c.formats for c in self.columns if c.name == self.event_date)
            out["event_date_formats"] = _parse_formats(fmt)
        return out


def _parse_formats(formats: list[str]) -> list[str]:
    """Formats for parsing (strptime has no ``%-m``: ``%m`` accepts one digit)."""
    out: list[str] = []
    for f in formats:
        f = f.replace("%-", "%")
        if f not in out:
            out.append(f)
    return out


def _fmt(dates: pl.Expr, fmt: str) -> pl.Expr:
    """Format a date expression with a Python-style format (``%-m`` = month without zero)."""
    return dates.dt.strftime(fmt)


def _inverse(codes: dict[str, str]) -> dict[str, str]:
    """Standard code -> the agency's first local value for it."""
    out: dict[str, str] = {}
    for local, std in codes.items():
        out.setdefault(std, local)
    return out


@dataclass
class World:
    """Everything extracts are built from: the final population as a frame, events, places, dates."""

    pop: Population
    persons: pl.DataFrame  # one row per person index, hidden helper columns
    events: pl.DataFrame
    geo: Geography
    start: np.datetime64
    end: np.datetime64
    rng: np.random.Generator
    addresses: pl.Series  # registered address of each household id
    companies: np.ndarray
    residence_addresses: pl.Series  # where each household lives


def person_frame(pop: Population, geo: Geography) -> pl.DataFrame:
    """The true persons as a frame indexed by position (``_p``), with strings built in bulk."""
    id18, id15 = id_strings(pop["id_key"])
    names = compose(pop["name_s"], pop["name_a"], pop["name_b"], pop["name_dot"])
    birth = pl.Series("birth_date", pop["birth_date"]).cast(pl.Date)
    pre1999 = birth < dt.date(1999, 1, 1)
    here = np.array([int(p) for p in geo.provinces])
    return pl.DataFrame(
        {
            "_p": np.arange(len(pop), dtype=np.int64),
            "person_id": pop["person_id"],
            "id_number": id18,
            "id_number_15": pl.Series(id15).zip_with(pre1999, pl.Series([None] * len(pop), dtype=pl.String)),
            "name": names["name"],
            "surname": names["surname"],
            "given_name": names["given_name"],
            "sex": pl.Series(pop["sex"].astype(object), dtype=pl.String),
            "birth_date": birth,
            "ethnicity": pl.Series(pop["ethnicity"].astype(object), dtype=pl.String),
            "education": pl.Series(pop["education"].astype(object), dtype=pl.String).replace("", None),
            "marital_status": pl.Series(pop["marital_status"]).cast(pl.String),
            "hukou_type": pl.Series(pop["hukou_type"].astype(object), dtype=pl.String),
            "hukou_nature": pl.Series(pop["hukou_nature"].astype(object), dtype=pl.String),
            "registered_division": pl.Series(pop["registered_division"]).cast(pl.String),
            "residence_division": pl.Series(pop["residence_division"]).cast(pl.String),
            "household_id": pop["household_id"],
            "relationship": pl.Series(pop["relationship"].astype(object), dtype=pl.String),
            "mother_idx": pop["mother_idx"],
            "father_idx": pop["father_idx"],
            "spouse_idx": pop["spouse_idx"],
            "birth_order": pl.Series(pop["birth_order"]).cast(pl.Int16).replace(0, None),
            "death_date": pl.Series(pop["death_date"]).cast(pl.Date),
            "arrived": pl.Series(pop["arrived"]).cast(pl.Date),
            "initial": pop["initial"],
            "_here_registered_division": np.isin(pop["registered_division"] // 10000, here),
            "_here_residence_division": np.isin(pop["residence_division"] // 10000, here),
        }
    )


def _delay(rng: np.random.Generator, n: int, mean_days: float) -> pl.Series:
    """Reporting delays in days (geometric, at least 0)."""
    return pl.Series(rng.geometric(1.0 / (mean_days + 1), n) - 1, dtype=pl.Int64)


def dataset_builders() -> list[Callable[[World], Dataset]]:
    """The builders of every agency extract, in output order (each builds one clean extract)."""
    return [
        _household_register,
        _ps_moves,
        _id_issuance,
        _birth_certificates,
        _death_certificates,
        _marriages,
        _cremations,
        _enrolment,
        _insurance,
        _wcba,
        _contraception,
        _floating,
        _assistance,
    ]


def build_datasets(world: World) -> list[Dataset]:
    """Every agency extract, clean (errors come later)."""
    return [build(world) for build in dataset_builders()]


def _in_provinces(col: str, geo: Geography) -> pl.Expr:
    """True where a division column lies in one of the chosen provinces (helper columns when present)."""
    if col in ("registered_division", "residence_division"):
        return pl.col(f"_here_{col}")
    return pl.col(col).str.slice(0, 2).is_in(geo.provinces)


def contraception_truth(ds: Dataset, person_ids: pl.Series) -> pl.DataFrame:
    """truth/contraception.parquet: each surveyed woman's method (standard code) as of the survey date,
    as generated (before errors are injected into the extract)."""
    method = next(c for c in ds.columns if c.target == "method")
    as_of = next(c for c in ds.columns if c.target == "as_of")
    return ds.frame.select(
        person_id=person_ids.gather(ds.frame["_p"]),
        method=pl.col(method.name).replace_strict(method.codes, default=None),
        as_of=pl.col(f"_d_{as_of.name}"),
    )


def _date_col(name: str, target: str | None, fmt: list[str], kind: str = "date", ref: str = "_p") -> Column:
    return Column(name, target, kind, ref=ref, formats=fmt)


def _household_register(w: World) -> Dataset:
    """公安 常住人口登记: everyone whose household registration is in the chosen provinces."""
    p = w.persons.filter(_in_provinces("registered_division", w.geo))
    births = w.events.filter(pl.col("event_type") == "birth").select(
        _p="person_idx", _event=pl.col("event_date"), _report=pl.col("reported_date") + pl.duration(days=20)
    )
    p = (
        p.join(births, on="_p", how="left", maintain_order="left")
        .with_columns(
            _event=pl.coalesce("_event", pl.col("birth_date")),
        )
        .with_columns(
            _report=pl.coalesce("_report", pl.col("_event") + pl.duration(days=_delay(w.rng, p.height, 20)))
        )
    )
    fmt = ["%Y%m%d", "%Y-%m-%d", "%Y/%m/%d"]
    frame = p.select(
        "_p",
        "_report",
        GMSFHM="id_number",
        XM="name",
        XB="sex",
        MZ="ethnicity",
        CSRQ=_fmt(pl.col("birth_date"), fmt[0]),
        _d_CSRQ="birth_date",
        WHCD="education",
        HYZK="marital_status",
        HKLX="hukou_type",
        HKXZ="hukou_nature",
        HH=pl.format("H{}", pl.col("household_id").cast(pl.String).str.zfill(9)),
        YHZGX="relationship",
        HJDZ_XZQH="registered_division",
        HJDZ=w.addresses.gather(p["household_id"]),
        XZZ_XZQH="residence_division",
        ZXBZ=pl.when(pl.col("death_date").is_not_null()).then(pl.lit("1")).otherwise(pl.lit("0")),
        SWRQ=_fmt(pl.col("death_date"), fmt[0]),
        _d_SWRQ="death_date",
        DJRQ=_fmt(pl.col("_report"), fmt[0]),
        _d_DJRQ="_report",
        _e_DJRQ="_event",
    )
    cols = [
        Column("GMSFHM", "id_number", "id"),
        Column("XM", "name", "name"),
        Column("XB", "sex", "code", codes={"1": "1", "2": "2"}),
        Column(
            "MZ",
            "ethnicity",
            "code",
            errors=("field_disagreement",),
            codes={v: v for v in ETHNICITY_ZH.values()},
        ),
        _date_col("CSRQ", "birth_date", fmt),
        Column("WHCD", "education", "code", errors=("field_disagreement",)),
        Column("HYZK", "marital_status", "code", errors=("field_disagreement",)),
        Column("HKLX", "hukou_type", "code"),
        Column("HKXZ", "hukou_nature", "code"),
        Column("HH", "household_id"),
        Column("YHZGX", "relationship", "code"),
        Column("HJDZ_XZQH", "registered_division", "division"),
        Column("HJDZ", "registered_address"),
        Column("XZZ_XZQH", "residence_division", "division", errors=("stale_address",)),
        Column("ZXBZ", "status", "code", codes=dict(STATUS_PS)),
        _date_col("SWRQ", "death_date", fmt),
        _date_col("DJRQ", None, fmt, kind="report"),
    ]
    return Dataset("public_security", "household_register", "person", "RECORD_NO", "GA", frame, cols, "DJRQ")


def _ps_moves(w: World) -> Dataset:
    """公安 迁移登记: household moves and registration transfers."""
    ev = w.events.filter(
        pl.col("event_type").is_in(["move", "hukou_transfer"])
        & (_in_provinces("to_division", w.geo) | _in_provinces("from_division", w.geo))
    )
    ev = ev.with_columns(_report=pl.col("reported_date"))
    fmt = ["%Y-%m-%d", "%Y%m%d"]
    p = w.persons.select("_p", "id_number", "name")
    frame = ev.join(p, left_on="person_idx", right_on="_p", how="left", maintain_order="left").select(
        _p="person_idx",
        _event_id="event_id",
        SFZH="id_number",
        XM="name",
        QYLB=pl.when(pl.col("event_type") == "move").then(pl.lit("流动")).otherwise(pl.lit("迁移")),
        QCD="from_division",
        QRD="to_division",
        QYRQ=_fmt(pl.col("event_date"), fmt[0]),
        _d_QYRQ="event_date",
        QYYY=pl.col("detail").replace({"": "9"}),
        SBRQ=_fmt(pl.col("_report"), fmt[0]),
        _d_SBRQ="_report",
        _e_SBRQ="event_date",
    )
    cols = [
        Column("SFZH", "id_number", "id"),
        Column("XM", "name", "name"),
        Column("QYLB", "migration_kind", "code", codes={"流动": "1", "迁移": "2"}),
        Column("QCD", "from_division", "division"),
        Column("QRD", "to_division", "division"),
        _date_col("QYRQ", "move_date", fmt),
        Column("QYYY", "reason", "code"),
        _date_col("SBRQ", None, fmt, kind="report"),
    ]
    return Dataset("public_security", "moves", "migration", "QYBH", "QY", frame, cols, "SBRQ")


def _id_issuance(w: World) -> Dataset:
    """公安 居民身份证申领: first cards at 16 and renewals at 26, 36 and 46 during the period."""
    p = w.persons.filter(_in_provinces("registered_division", w.geo))
    y0, y1 = int(str(w.start)[:4]), int(str(w.end)[:4])
    rows = []
    for at in (16, 26, 36, 46):
        year = pl.col("birth_date").dt.year() + at
        rows.append(
            p.filter((year >= y0) & (year <= y1)).with_columns(
                _event=pl.col("birth_date").dt.offset_by(f"{at}y")
            )
        )
    p = pl.concat(rows).filter(pl.col("death_date").is_null() | (pl.col("death_date") > pl.col("_event")))
    p = p.with_columns(_report=pl.col("_event") + pl.duration(days=_delay(w.rng, p.height, 25)))
    fmt = ["%Y.%m.%d", "%Y%m%d"]
    frame = p.select(
        "_p",
        GMSFHM="id_number",
        XM="name",
        XB=pl.col("sex").replace({"1": "男", "2": "女"}),
        MZ=pl.col("ethnicity").replace(_inverse(ETHNICITY_ZH)),
        CSRQ=_fmt(pl.col("birth_date"), fmt[0]),
        _d_CSRQ="birth_date",
        ZZ=w.addresses.gather(p["household_id"]),
        HJDZ_XZQH="registered_division",
        HYZK="marital_status",
        HKLX="hukou_type",
        ZT=pl.lit("0"),
        QFRQ=_fmt(pl.col("_report"), fmt[0]),
        _d_QFRQ="_report",
        _e_QFRQ="_event",
    )
    cols = [
        Column("GMSFHM", "id_number", "id"),
        Column("XM", "name", "name"),
        Column("XB", "sex", "code", codes=dict(SEX_ZH)),
        Column("MZ", "ethnicity", "code", codes=dict(ETHNICITY_ZH), errors=("field_disagreement",)),
        _date_col("CSRQ", "birth_date", fmt),
        Column("ZZ", "registered_address"),
        Column("HJDZ_XZQH", "registered_division", "division"),
        Column("HYZK", "marital_status", "code", errors=("field_disagreement",)),
        Column("HKLX", "hukou_type", "code"),
        Column("ZT", "status", "code", codes=dict(STATUS_PS)),
        _date_col("QFRQ", None, fmt, kind="report"),
    ]
    return Dataset("public_security", "id_issuance", "person", "SLH", "SL", frame, cols, "QFRQ")


def _birth_certificates(w: World) -> Dataset:
    """卫健 出生医学证明: the child usually has no name or number yet."""
    ev = w.events.filter((pl.col("event_type") == "birth") & _in_provinces("to_division", w.geo))
    n = ev.height
    rng = w.rng
    ev = ev.with_columns(
        _report=pl.col("reported_date"),
        _weight=pl.Series(np.clip(rng.normal(3300, 450, n), 1200, 5200).astype(int)).cast(pl.String),
        _weeks=pl.Series(np.clip(rng.normal(39, 1.5, n), 28, 42).astype(int)).cast(pl.String),
        _named=pl.Series(rng.random(n) < 0.35),
        _with_id=pl.Series(rng.random(n) < 0.03),
        _hosp=pl.Series(rng.integers(1, 9, n)),
        _county=pl.Series(w.geo.full_names(ev["to_division"].cast(pl.Int64).to_numpy()), dtype=pl.String),
    )
    p = w.persons
    fmt = ["%Y-%m-%d", "%Y年%m月%d日"]
    j = (
        ev.join(
            p.select("_p", "name", "id_number", "sex", "birth_order", "father_idx"),
            left_on="person_idx",
            right_on="_p",
            how="left",
            maintain_order="left",
        )
        .join(
            p.select(_m="_p", m_name="name", m_id="id_number"),
            left_on="other_idx",
            right_on="_m",
            how="left",
            maintain_order="left",
        )
        .join(
            p.select(_f="_p", f_name="name", f_id="id_number"),
            left_on="father_idx",
            right_on="_f",
            how="left",
            maintain_order="left",
        )
    )
    frame = j.select(
        _p="person_idx",
        _mother="other_idx",
        _father="father_idx",
        XSEXM=pl.when("_named").then("name").otherwise(None),
        XSEXB=pl.col("sex").replace({"1": "男", "2": "女"}),
        XSESFZH=pl.when("_with_id").then("id_number").otherwise(None),
        CSRQ=_fmt(pl.col("event_date"), fmt[0]),
        _d_CSRQ="event_date",
        CSTZ="_weight",
        CSYZ="_weeks",
        TC=pl.col("birth_order").cast(pl.String),
        CSDD="to_division",
        ZCJG=pl.format("{}第{}人民医院", pl.col("_county").str.slice(-3), "_hosp"),
        MQXM="m_name",
        MQSFZH="m_id",
        FQXM="f_name",
        FQSFZH="f_id",
        QFRQ=_fmt(pl.col("_report"), fmt[0]),
        _d_QFRQ="_report",
        _e_QFRQ="event_date",
    )
    cols = [
        Column("XSEXM", "child_name", "name"),
        Column("XSEXB", "child_sex", "code", codes=dict(SEX_ZH)),
        Column("XSESFZH", "child_id_number", "id"),
        _date_col("CSRQ", "birth_date", fmt),
        Column("CSTZ", "birth_weight"),
        Column("CSYZ", "gestational_weeks"),
        Column("TC", "birth_order"),
        Column("CSDD", "birth_place_division", "division"),
        Column("ZCJG", "birth_institution"),
        Column("MQXM", "mother_name", "name", ref="_mother"),
        Column("MQSFZH", "mother_id_number", "id", ref="_mother"),
        Column("FQXM", "father_name", "name", ref="_father"),
        Column("FQSFZH", "father_id_number", "id", ref="_father"),
        _date_col("QFRQ", None, fmt, kind="report"),
    ]
    ds = Dataset("health", "birth_certificates", "birth", "CSZMBH", "O", frame, cols, "QFRQ")
    ds.columns.insert(0, Column("CSZMBH", "birth_certificate_no"))
    return ds


def _death_certificates(w: World) -> Dataset:
    """卫健 死亡医学证明."""
    ev = w.events.filter((pl.col("event_type") == "death") & _in_provinces("to_division", w.geo))
    n = ev.height
    ev = ev.with_columns(
        _report=pl.col("reported_date"),
        _cause=pl.Series(np.array(ICD10_CAUSES)[w.rng.integers(0, len(ICD10_CAUSES), n)]),
    )
    fmt = ["%Y/%m/%d", "%Y-%m-%d", "%Y%m%d"]
    frame = ev.join(
        w.persons.select("_p", "name", "id_number", "sex"),
        left_on="person_idx",
        right_on="_p",
        maintain_order="left",
    ).select(
        _p="person_idx",
        XM="name",
        SFZJHM="id_number",
        XB=pl.col("sex").replace({"1": "M", "2": "F"}),
        SWRQ=_fmt(pl.col("event_date"), fmt[0]),
        _d_SWRQ="event_date",
        SWDD="to_division",
        GBSY="_cause",
        TBRQ=_fmt(pl.col("_report"), fmt[0]),
        _d_TBRQ="_report",
        _e_TBRQ="event_date",
    )
    cols = [
        Column("ZMBH", "death_certificate_no"),
        Column("XM", "name", "name"),
        Column("SFZJHM", "id_number", "id"),
        Column("XB", "sex", "code", codes=dict(SEX_MF)),
        _date_col("SWRQ", "death_date", fmt),
        Column("SWDD", "death_place_division", "division"),
        Column("GBSY", "death_cause"),
        _date_col("TBRQ", None, fmt, kind="report"),
    ]
    return Dataset("health", "death_certificates", "death", "ZMBH", "D", frame, cols, "TBRQ")


def _marriages(w: World) -> Dataset:
    """民政 婚姻登记: marriages and divorces, both parties in one row."""
    ev = w.events.filter(
        pl.col("event_type").is_in(["marriage", "divorce"]) & _in_provinces("to_division", w.geo)
    )
    p = w.persons.select("_p", "name", "id_number")
    fmt = ["%Y%m%d", "%Y-%m-%d"]
    frame = (
        ev.join(p, left_on="person_idx", right_on="_p", maintain_order="left")
        .join(
            p.select(_w="_p", w_name="name", w_id="id_number"),
            left_on="other_idx",
            right_on="_w",
            maintain_order="left",
        )
        .select(
            _p="person_idx",
            _wife="other_idx",
            DJLX=pl.when(pl.col("event_type") == "marriage").then(pl.lit("结婚")).otherwise(pl.lit("离婚")),
            DJRQ=_fmt(pl.col("event_date"), fmt[0]),
            _d_DJRQ="event_date",
            DJJG="to_division",
            NFSFZH="id_number",
            NFXM="name",
            VFSFZH="w_id",
            VFXM="w_name",
        )
    )
    cols = [
        Column("DJLX", "registration_type", "code", codes=dict(MARRIAGE_TYPE_ZH)),
        _date_col("DJRQ", "registration_date", fmt),
        Column("DJJG", "registration_division", "division"),
        Column("NFSFZH", "husband_id_number", "id"),
        Column("NFXM", "husband_name", "name"),
        Column("VFSFZH", "wife_id_number", "id", ref="_wife"),
        Column("VFXM", "wife_name", "name", ref="_wife"),
    ]
    ds = Dataset("civil_affairs", "marriages", "marriage", "ZSBH", "J", frame, cols, "DJRQ")
    ds.columns.insert(0, Column("ZSBH", "certificate_no"))
    return ds


def _cremations(w: World) -> Dataset:
    """民政 殡葬: deaths and cremations (most deaths; burial areas report less)."""
    ev = w.events.filter((pl.col("event_type") == "death") & _in_provinces("to_division", w.geo))
    ev = ev.filter(pl.Series(w.rng.random(ev.height) < 0.6))
    ev = ev.with_columns(_report=pl.col("event_date") + pl.duration(days=_delay(w.rng, ev.height, 4)))
    fmt = ["%Y-%m-%d", "%Y年%m月%d日"]
    frame = ev.join(
        w.persons.select("_p", "name", "id_number", "sex"),
        left_on="person_idx",
        right_on="_p",
        maintain_order="left",
    ).select(
        _p="person_idx",
        SZXM="name",
        ZJHM="id_number",
        XB=pl.col("sex").replace({"1": "男", "2": "女"}),
        SWRQ=_fmt(pl.col("event_date"), fmt[0]),
        _d_SWRQ="event_date",
        BYGSZD="to_division",
        HHRQ=_fmt(pl.col("_report"), fmt[0]),
        _d_HHRQ="_report",
        _e_HHRQ="event_date",
    )
    cols = [
        Column("SZXM", "name", "name"),
        Column("ZJHM", "id_number", "id"),
        Column("XB", "sex", "code", codes=dict(SEX_ZH)),
        _date_col("SWRQ", "death_date", fmt),
        Column("BYGSZD", "death_place_division", "division"),
        _date_col("HHRQ", None, fmt, kind="report"),
    ]
    return Dataset("civil_affairs", "deaths", "death", "HHBH", "HH", frame, cols, "HHRQ")


def _enrolment(w: World) -> Dataset:
    """教育 学籍: pupils of primary and junior middle school at the end of the period."""
    end_age = ages_at(w.pop["birth_date"], w.end)
    p = w.persons.with_columns(_age=pl.Series(end_age)).filter(
        pl.col("death_date").is_null()
        & (pl.col("_age") >= 6)
        & (pl.col("_age") < 15)
        & _in_provinces("residence_division", w.geo)
    )
    p = p.with_columns(
        _stage=pl.when(pl.col("_age") < 12).then(pl.lit("小学")).otherwise(pl.lit("初中")),
        _entry=pl.date(
            pl.col("birth_date").dt.year()
            + pl.when(pl.col("_age") < 12).then(6).otherwise(12)
            + (pl.col("birth_date").dt.month() >= 9).cast(pl.Int32),
            9,
            1,
        ),
        _school=pl.Series(w.rng.integers(1, 30, p.height)),
    )
    fmt = ["%Y-%m-%d", "%Y%m%d"]
    frame = p.select(
        "_p",
        XJFH=pl.concat_str(pl.lit("G"), "id_number"),
        XM="name",
        SFZJH="id_number",
        XD="_stage",
        RXRQ=_fmt(pl.col("_entry"), fmt[0]),
        _d_RXRQ="_entry",
        XXMC=pl.format("第{}{}", "_school", pl.col("_stage").replace({"小学": "小学", "初中": "中学"})),
        XXSZD="residence_division",
    )
    cols = [
        Column("XJFH", "student_no"),
        Column("XM", "name", "name"),
        Column("SFZJH", "id_number", "id"),
        Column("XD", "school_stage", "code", codes=dict(SCHOOL_ZH)),
        _date_col("RXRQ", "entry_date", fmt),
        Column("XXMC", "school_name"),
        Column("XXSZD", "school_division", "division", errors=("stale_address",)),
    ]
    return Dataset("education", "enrolment", "schooling", "XSBH", "XS", frame, cols, "RXRQ")


def _insurance(w: World) -> Dataset:
    """人社 社会保险参保: working-age people, insured where their employer is (often not the hukou place)."""
    end_age = ages_at(w.pop["birth_date"], w.end)
    p = w.persons.with_columns(_age=pl.Series(end_age)).filter(
        pl.col("death_date").is_null()
        & (pl.col("_age") >= 18)
        & (pl.col("_age") < pl.when(pl.col("sex") == "1").then(60).otherwise(55))
        & _in_provinces("residence_division", w.geo)
    )
    p = p.filter(pl.Series(w.rng.random(p.height) < 0.7))
    n = p.height
    employee = (p["hukou_nature"] == "1") | (p["registered_division"] != p["residence_division"])
    start_age = w.rng.integers(18, 30, n)
    p = p.with_columns(
        _type=pl.when(employee).then(pl.lit("110")).otherwise(pl.lit("170")),
        _start=pl.col("birth_date").dt.offset_by(pl.format("{}y", pl.Series(start_age))),
        _emp=pl.Series(w.companies[w.rng.integers(0, len(w.companies), n)]),
    )
    p = p.with_columns(_start=pl.min_horizontal("_start", pl.lit(w.end).cast(pl.Date)))
    fmt = ["%Y/%-m/%-d", "%Y/%m/%d", "%Y-%m-%d"]
    frame = p.select(
        "_p",
        SHBZHM="id_number",
        XM="name",
        XZLX="_type",
        CBZT=pl.lit("参保缴费"),
        CBRQ=_fmt(pl.col("_start"), fmt[0]),
        _d_CBRQ="_start",
        CBD="residence_division",
        DWMC=pl.when(pl.col("_type") == "110").then("_emp").otherwise(None),
    )
    cols = [
        Column("SHBZHM", "id_number", "id"),
        Column("XM", "name", "name"),
        Column("XZLX", "insurance_type", "code", codes={"110": "110", "170": "170"}),
        Column("CBZT", "status", "code", codes={"参保缴费": "1", "暂停缴费": "2", "终止参保": "3"}),
        _date_col("CBRQ", "start_date", fmt),
        Column("CBD", "insured_division", "division"),
        Column("DWMC", "employer_name"),
    ]
    return Dataset("hrss", "insurance", "insurance", "GRBH", "RS", frame, cols, None)


def _wcba_people(w: World) -> pl.DataFrame:
    end_age = ages_at(w.pop["birth_date"], w.end)
    return w.persons.with_columns(_age=pl.Series(end_age)).filter(
        pl.col("death_date").is_null()
        & (pl.col("sex") == "2")
        & (pl.col("_age") >= 15)
        & (pl.col("_age") < 50)
        & (_in_provinces("residence_division", w.geo) | _in_provinces("registered_division", w.geo))
    )


def _wcba(w: World) -> Dataset:
    """卫健（计生）育龄妇女信息 (WIS): women 15-49 living or registered here."""
    p = _wcba_people(w)
    p = p.with_columns(_report=pl.lit(w.end).cast(pl.Date) - pl.duration(days=_delay(w.rng, p.height, 120)))
    fmt = ["%Y-%m-%d", "%Y%m%d"]
    frame = p.select(
        "_p",
        XM="name",
        SFZH="id_number",
        XB=pl.lit("女"),
        CSRQ=_fmt(pl.col("birth_date"), fmt[0]),
        _d_CSRQ="birth_date",
        MZ=pl.col("ethnicity").replace(_inverse(ETHNICITY_ZH)),
        HYZK=pl.col("marital_status").replace(_inverse(MARITAL_ZH)),
        WHCD=pl.col("education").replace(_inverse(EDUCATION_ZH)),
        HKLX=pl.lit("家庭户"),
        HJD="registered_division",
        XJZD="residence_division",
        RKZT=pl.lit("在册"),
        GXRQ=_fmt(pl.col("_report"), fmt[0]),
        _d_GXRQ="_report",
        _e_GXRQ="_report",
    )
    cols = [
        Column("XM", "name", "name"),
        Column("SFZH", "id_number", "id"),
        Column("XB", "sex", "code", codes=dict(SEX_ZH)),
        _date_col("CSRQ", "birth_date", fmt),
        Column("MZ", "ethnicity", "code", codes=dict(ETHNICITY_ZH), errors=("field_disagreement",)),
        Column("HYZK", "marital_status", "code", codes=dict(MARITAL_ZH), errors=("field_disagreement",)),
        Column("WHCD", "education", "code", codes=dict(EDUCATION_ZH), errors=("field_disagreement",)),
        Column("HKLX", "hukou_type", "code", codes={"家庭户": "10", "集体户": "20"}),
        Column("HJD", "registered_division", "division"),
        Column("XJZD", "residence_division", "division", errors=("stale_address",)),
        Column("RKZT", "status", "code", codes={"在册": "active", "死亡": "deceased", "迁出": "moved_out"}),
        _date_col("GXRQ", None, fmt, kind="report"),
    ]
    return Dataset("pfp", "wcba", "person", "YLFNBM", "YL", frame, cols, "GXRQ")


def _contraception(w: World) -> Dataset:
    """卫健（计生）避孕节育情况: married women 15-49."""
    p = _wcba_people(w).filter(pl.col("spouse_idx") >= 0)
    codes = np.array(list(CONTRACEPTION_P))
    prob = np.array(list(CONTRACEPTION_P.values()))
    method = codes[w.rng.choice(codes.size, size=p.height, p=prob / prob.sum())]
    inv = _inverse(CONTRACEPTION_ZH)
    p = p.with_columns(
        _m=pl.Series(method).replace(inv),
        _asof=pl.lit(w.end).cast(pl.Date) - pl.duration(days=_delay(w.rng, p.height, 90)),
    ).join(
        w.persons.select(_s="_p", s_id="id_number"),
        left_on="spouse_idx",
        right_on="_s",
        how="left",
        maintain_order="left",
    )
    fmt = ["%Y%m%d", "%Y-%m-%d"]
    frame = p.select(
        "_p",
        _spouse="spouse_idx",
        SFZH="id_number",
        XM="name",
        BYCS="_m",
        DCRQ=_fmt(pl.col("_asof"), fmt[0]),
        _d_DCRQ="_asof",
        ZFSFZH="s_id",
        FWDQ="residence_division",
    )
    cols = [
        Column("SFZH", "id_number", "id"),
        Column("XM", "name", "name"),
        Column("BYCS", "method", "code", codes=dict(CONTRACEPTION_ZH)),
        _date_col("DCRQ", "as_of", fmt),
        Column("ZFSFZH", "spouse_id_number", "id", ref="_spouse"),
        Column("FWDQ", "service_division", "division", errors=("stale_address",)),
    ]
    return Dataset("pfp", "contraception", "contraception", "JLBH", "BY", frame, cols, None)


def _assistance(w: World) -> Dataset:
    """卫健（计生）奖励扶助与特别扶助发放名册: one row per beneficiary and year.

    Reward assistance (奖扶): a parent with an agricultural household registration, 60 or older in the
    year, whose only child, or only two children both daughters, the population links to them. Special
    assistance (特扶, deceased only child): a parent 49 or older whose only child has died by the year.
    Not every eligible parent applies (take-up ``ASSISTANCE_TAKE_UP``, drawn once per parent).
    """
    p = w.persons
    kids = pl.concat(
        [p.select(parent=pl.col(c), sex="sex", died="death_date") for c in ("mother_idx", "father_idx")]
    ).filter(pl.col("parent") >= 0)
    family = kids.group_by("parent").agg(
        n=pl.len(), girls=(pl.col("sex") == "2").sum(), died=pl.col("died").min(), dead=pl.col("died").count()
    )
    parents = p.join(family, left_on="_p", right_on="parent").filter(
        pl.col("_here_registered_division") & (pl.col("hukou_nature") == "2")
    )
    parents = parents.with_columns(_apply=pl.Series(w.rng.random(parents.height) < ASSISTANCE_TAKE_UP))
    rolls = []
    for year in range(int(str(w.start)[:4]), int(str(w.end)[:4]) + 1):
        end = dt.date(year, 12, 31)
        age = year - pl.col("birth_date").dt.year()
        alive = pl.col("death_date").is_null() | (pl.col("death_date") > end)
        only_child_died = (pl.col("n") == 1) & (pl.col("dead") == 1) & (pl.col("died") <= end)
        reward = (age >= 60) & ((pl.col("n") == 1) | ((pl.col("n") == 2) & (pl.col("girls") == 2)))
        kind = pl.when(only_child_died & (age >= 49)).then(pl.lit("22")).when(reward).then(pl.lit("10"))
        rolls.append(
            parents.filter(alive & pl.col("_apply"))
            .with_columns(_kind=kind, _year=pl.lit(year))
            .filter(pl.col("_kind").is_not_null())
        )
    roll = pl.concat(rolls)
    n = roll.height
    roll = roll.with_columns(
        _approved=pl.date(pl.col("_year"), 3, 1) + pl.duration(days=pl.Series(w.rng.integers(0, 60, n))),
        _account=pl.Series(w.rng.integers(10**15, 10**16, n)).cast(pl.String),
    )
    fmt = ["%Y-%m-%d", "%Y%m%d"]
    frame = roll.select(
        "_p",
        XM="name",
        SFZH="id_number",
        FZLB=pl.col("_kind").replace(_inverse(ASSISTANCE_ZH)),
        FZND=pl.col("_year").cast(pl.String),
        FFDQ="registered_division",
        FZJE=pl.col("_kind").replace_strict(ASSISTANCE_AMOUNT, return_dtype=pl.Int64).cast(pl.String),
        SPRQ=_fmt(pl.col("_approved"), fmt[0]),
        _d_SPRQ="_approved",
        _e_SPRQ="_approved",
        YHZH=pl.format("6228{}", pl.col("_account")),
    )
    cols = [
        Column("XM", "name", "name"),
        Column("SFZH", "id_number", "id"),
        Column("FZLB", "kind", "code", codes=dict(ASSISTANCE_ZH)),
        Column("FZND", "year"),
        Column("FFDQ", "division", "division"),
        Column("FZJE", "amount"),
        _date_col("SPRQ", "approval_date", fmt),
        Column("YHZH", "bank_account_no"),
    ]
    return Dataset("pfp", "assistance", "assistance", "FZBH", "FZ", frame, cols, "SPRQ")


def assistance_truth(ds: Dataset, person_ids: pl.Series) -> pl.DataFrame:
    """truth/assistance.parquet: each beneficiary's kind, year and paying county, as generated."""
    return ds.frame.select(
        person_id=person_ids.gather(ds.frame["_p"]),
        kind=pl.col("FZLB").replace_strict(ASSISTANCE_ZH, default=None),
        year=pl.col("FZND").cast(pl.Int32),
        division="FFDQ",
    )


def _floating(w: World) -> Dataset:
    """卫健（计生）流动人口登记: people 15-59 living away from their registered county."""
    end_age = ages_at(w.pop["birth_date"], w.end)
    p = w.persons.with_columns(_age=pl.Series(end_age)).filter(
        pl.col("death_date").is_null()
        & (pl.col("_age") >= 15)
        & (pl.col("_age") < 60)
        & (pl.col("registered_division") != pl.col("residence_division"))
        & _in_provinces("residence_division", w.geo)
    )
    p = p.with_columns(
        _arr=pl.coalesce("arrived", pl.lit(w.start).cast(pl.Date)),
        _reason=pl.Series(np.array(list("1111111344568"))[w.rng.integers(0, 13, p.height)]),
    ).with_columns(
        _issue=pl.col("_arr") + pl.duration(days=_delay(w.rng, p.height, 40)),
    )
    fmt = ["%Y-%m-%d", "%Y%m%d", "%Y/%m/%d"]
    frame = p.select(
        "_p",
        XM="name",
        SFZH="id_number",
        LRLX=pl.lit("流动人口"),
        HJD="registered_division",
        XJZD="residence_division",
        XJZDZ=w.residence_addresses.gather(p["household_id"]),
        LRRQ=_fmt(pl.col("_arr"), fmt[0]),
        _d_LRRQ="_arr",
        LDYY="_reason",
        JZZBH=pl.format("JZZ{}", pl.col("_p").cast(pl.String).str.zfill(10)),
        QFRQ=_fmt(pl.col("_issue"), fmt[0]),
        _d_QFRQ="_issue",
        _e_QFRQ="_arr",
        YXQZ=_fmt(pl.col("_issue").dt.offset_by("1y"), fmt[0]),
        _d_YXQZ=pl.col("_issue").dt.offset_by("1y"),
    )
    cols = [
        Column("XM", "name", "name"),
        Column("SFZH", "id_number", "id"),
        Column("LRLX", "migration_kind", "code", codes={"流动人口": "1", "户口迁移": "2"}),
        Column("HJD", "from_division", "division"),
        Column("XJZD", "to_division", "division"),
        Column("XJZDZ", "to_address"),
        _date_col("LRRQ", "move_date", fmt),
        Column("LDYY", "reason", "code"),
        Column("JZZBH", "residence_permit_no"),
        _date_col("QFRQ", "permit_issue_date", fmt, kind="report"),
        _date_col("YXQZ", "permit_expiry_date", fmt),
    ]
    return Dataset("pfp", "floating", "migration", "LDRKBH", "LD", frame, cols, "QFRQ")
