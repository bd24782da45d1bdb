"""``generate(config)``: population, events, extracts with errors, ground truth, manifest — in stages."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from padis.errors import InputError
from padis.synth import calibration as cal
from padis.synth.errors import ErrorRates, Injector
from padis.synth.events import simulate
from padis.synth.extracts import World, assistance_truth, contraception_truth, dataset_builders, person_frame
from padis.synth.geography import Geography
from padis.synth.population import build_population
from padis.synth.writer import ENCODINGS, FORMATS, write_manifest, write_mapping, write_parquet, write_table

# the truth of records no event stands for: what each such extract holds before errors are injected
TRUTH_OF = {"contraception": contraception_truth, "assistance": assistance_truth}

REPORT_DELAY_DAYS = {
    "birth": 5,
    "death": 3,
    "marriage": 0,
    "divorce": 0,
    "move": 20,
    "hukou_transfer": 10,
    "school_entry": 0,
}


@dataclass
class SynthConfig:
    """Parameters of one synthetic data set."""

    out: Path
    persons: int = 100_000
    provinces: list[str] = field(default_factory=lambda: sorted(cal.PROVINCE_POPULATION))
    years: tuple[int, int] = (2021, 2025)
    seed: int = 1
    fmt: str = "parquet"
    encoding: str = "utf-8"
    rates: ErrorRates = field(default_factory=ErrorRates)

    def check(self) -> None:
        """Raise InputError for values a user must fix."""
        if self.persons < 100:
            raise InputError("at least 100 persons are needed", where="--persons", why=f"got {self.persons}")
        y0, y1 = self.years
        if not 1990 <= y0 <= y1 <= 2100:
            raise InputError(
                "years must be Y0-Y1 with 1990 <= Y0 <= Y1 <= 2100", where="--years", why=f"got {y0}-{y1}"
            )
        if self.fmt not in FORMATS:
            raise InputError(f"unknown format {self.fmt!r}", where="--format", why="use parquet, csv or xlsx")
        if self.encoding not in ENCODINGS:
            raise InputError(
                f"unknown encoding {self.encoding!r}", where="--encoding", why="use utf-8 or gbk"
            )
        if self.encoding != "utf-8" and self.fmt != "csv":
            raise InputError(
                "--encoding applies to CSV only", where="--encoding", why=f"format is {self.fmt}"
            )


@dataclass
class SynthResult:
    """What was written and how long each stage took."""

    out: Path
    row_counts: dict[str, int]
    timings: dict[str, float]
    persons: int
    events: int
    errors: int
    cpu_timings: dict[str, float] = field(default_factory=dict)


def parse_years(text: str) -> tuple[int, int]:
    """``2021-2025`` or ``2021`` -> (2021, 2025)."""
    left, _, right = text.partition("-")
    try:
        y0 = int(left)
        y1 = int(right) if right else y0
    except ValueError as exc:
        raise InputError("years must look like 2021-2025", where="--years", why=f"got {text!r}") from exc
    return y0, y1


def parse_provinces(text: str) -> list[str]:
    """``11,13`` (or six-digit codes, or ``all``) -> sorted two-digit province codes."""
    if text.strip().lower() in ("", "all"):
        return sorted(cal.PROVINCE_POPULATION)
    out = []
    for part in text.replace(" ", "").split(","):
        code = part[:2]
        if not part.isdigit() or len(part) not in (2, 6) or code not in cal.PROVINCE_POPULATION:
            raise InputError(
                f"unknown province code {part!r}",
                where="--provinces",
                why="use two-digit GB/T 2260 codes such as 11,13",
            )
        out.append(code)
    return sorted(set(out))


def generate(config: SynthConfig, progress: Callable[[str], None] | None = None) -> SynthResult:
    """Generate the data set into ``config.out`` (replacing what a previous run left there)."""
    config.check()
    timings: dict[str, float] = {}
    cpu: dict[str, float] = {}
    clock = [time.perf_counter(), time.process_time()]

    def stage(name: str, add: bool = False) -> None:
        now, now_cpu = time.perf_counter(), time.process_time()
        timings[name] = round((timings.get(name, 0.0) if add else 0.0) + now - clock[0], 3)
        cpu[name] = round((cpu.get(name, 0.0) if add else 0.0) + now_cpu - clock[1], 3)
        clock[0], clock[1] = now, now_cpu
        if progress and not add:
            progress(name)

    rng = np.random.default_rng(config.seed)
    y0, y1 = config.years
    start = np.datetime64(f"{y0}-01-01", "D")
    end = np.datetime64(f"{y1}-12-31", "D")
    geo = Geography.load(config.provinces, config.seed)
    pop = build_population(rng, config.persons, geo, start)
    stage("population")
    log = simulate(rng, pop, geo, range(y0, y1 + 1))
    stage("events")

    persons = person_frame(pop, geo)
    events = _events_frame(rng, log.columns())
    world = World(
        pop=pop,
        persons=persons,
        events=events,
        geo=geo,
        start=start,
        end=end,
        rng=rng,
        addresses=_addresses(rng, pop, geo),
        residence_addresses=_addresses(rng, pop, geo, "residence_division"),
        companies=_companies(config.seed),
    )
    stage("world")

    previous = _previous_residence(events, len(pop))
    injector = Injector(config.rates, rng, pop, persons, previous, {})
    out = Path(config.out)
    if out.exists():
        for sub in ("extracts", "mappings", "truth"):
            shutil.rmtree(out / sub, ignore_errors=True)
        (out / "manifest.json").unlink(missing_ok=True)
    for sub in ("extracts", "mappings", "truth"):
        (out / sub).mkdir(parents=True, exist_ok=True)

    # one extract at a time, so only one is in memory
    records, errors, counts = [], [], {}
    truth_tables: dict[str, pl.DataFrame] = {}
    person_ids = persons["person_id"]
    for build in dataset_builders():
        ds = build(world)
        stage("extracts", add=True)
        if ds.record in TRUTH_OF:
            truth_tables[ds.record] = TRUTH_OF[ds.record](ds, persons["person_id"])
        frame = injector.apply(ds)
        offset = int(rng.integers(1, 10**6))
        frame = frame.with_columns(
            pl.format(
                "{}{}", pl.lit(ds.prefix), (pl.col("_row") + offset).cast(pl.String).str.zfill(10)
            ).alias(ds.record_id)
        )
        keys = frame.select("_row", ds.record_id, "_dup_of")
        rec = frame.select(
            dataset=pl.lit(ds.name),
            record_id=pl.col(ds.record_id),
            person_id=person_ids.gather(frame["_p"]),
            other_person_id=_other(frame, person_ids),
            duplicate_of=pl.col("_dup_of"),
        )
        rec = (
            rec.join(
                keys.select(duplicate_of="_row", original_record_id=ds.record_id),
                on="duplicate_of",
                how="left",
                maintain_order="left",
            )
            .drop("duplicate_of")
            .rename({"original_record_id": "duplicate_of"})
        )
        records.append(rec)
        errors.append(_errors_for(ds.name, injector, keys))
        injector.found = []
        stage("errors", add=True)
        visible = [ds.record_id] + [
            c.name for c in ds.columns if c.name != ds.record_id and c.name in frame.columns
        ]
        write_table(frame.select(visible), out / "extracts" / ds.name, config.fmt, config.encoding)
        write_mapping(ds.mapping(), out / "mappings" / f"{ds.name}.yaml")
        counts[ds.name] = frame.height
        del frame, ds
        stage("write_extracts", add=True)

    errors_frame = pl.concat(errors, how="vertical") if errors else pl.DataFrame()
    records_frame = pl.concat(records, how="vertical")
    write_parquet(_truth_persons(persons), out / "truth" / "persons.parquet")
    write_parquet(_truth_events(events, person_ids), out / "truth" / "events.parquet")
    write_parquet(records_frame, out / "truth" / "records.parquet")
    write_parquet(errors_frame, out / "truth" / "errors.parquet")
    for name, table in truth_tables.items():
        write_parquet(table, out / "truth" / f"{name}.parquet")
    manifest = {
        "generator": "padis synth",
        "parameters": {
            "persons": config.persons,
            "provinces": config.provinces,
            "years": list(config.years),
            "format": config.fmt,
            "encoding": config.encoding,
        },
        "seed": config.seed,
        "row_counts": counts,
        "truth_counts": {
            "persons": persons.height,
            "events": events.height,
            "records": records_frame.height,
            "errors": errors_frame.height,
        },
        "error_rates": config.rates.as_dict(),
        "error_counts": {
            ds: {k: {"eligible": v[0], "injected": v[1]} for k, v in sorted(kinds.items())}
            for ds, kinds in sorted(injector.counts.items())
        },
        "notes": [
            "Division codes are today's codes; a person's ID region is their registered county as it is now.",
            "Error rates are per value an error type can apply to (eligible counts); duplicate per record.",
        ],
    }
    write_manifest(out, manifest)
    stage("truth")
    if progress:
        for name in ("extracts", "errors", "write_extracts"):
            progress(name)
    return SynthResult(out, counts, timings, persons.height, events.height, errors_frame.height, cpu)


def _other(frame: pl.DataFrame, person_ids: pl.Series) -> pl.Series:
    for col in ("_mother", "_wife"):
        if col in frame.columns:
            idx = frame[col]
            return person_ids.gather(idx.clip(0)).zip_with(idx >= 0, pl.Series([None], dtype=pl.Int64))
    return pl.Series([None] * frame.height, dtype=pl.Int64)


def _errors_for(name: str, injector: Injector, keys: pl.DataFrame) -> pl.DataFrame:
    """This dataset's errors keyed by record id, including the copies of duplicated records."""
    schema = {
        "dataset": pl.String,
        "record_id": pl.String,
        "field": pl.String,
        "column": pl.String,
        "error_type": pl.String,
        "true_value": pl.String,
        "recorded_value": pl.String,
    }
    found = [f for f in injector.found if f["dataset"][0] == name]
    base = pl.concat(found) if found else pl.DataFrame(schema={**schema, "_row": pl.Int64}).drop("record_id")
    rid = keys.columns[1]
    direct = base.join(keys.select("_row", record_id=rid), on="_row", how="inner", maintain_order="left")
    copies = keys.filter(pl.col("_dup_of").is_not_null())
    inherited = base.join(
        copies.select(_row="_dup_of", record_id=rid), on="_row", how="inner", maintain_order="left"
    )
    dups = copies.join(
        keys.select(_dup_of="_row", _original=rid), on="_dup_of", how="left", maintain_order="left"
    ).select(
        dataset=pl.lit(name),
        record_id=rid,
        field=pl.lit("record"),
        column=pl.lit(rid),
        error_type=pl.lit("duplicate"),
        true_value="_original",
        recorded_value=pl.col(rid),
    )
    out = pl.concat([direct.select(list(schema)), inherited.select(list(schema)), dups.select(list(schema))])
    return out.cast(schema)


def _events_frame(rng: np.random.Generator, cols: dict[str, np.ndarray]) -> pl.DataFrame:
    """Events with ids and report dates."""
    n = len(cols["event_type"])
    types = pl.Series("event_type", cols["event_type"].astype(object), dtype=pl.String)
    mean = types.replace_strict(REPORT_DELAY_DAYS, return_dtype=pl.Float64).to_numpy()
    delay = rng.geometric(1.0 / (mean + 1.0), n) - 1 if n else np.zeros(0, dtype=np.int64)
    frame = pl.DataFrame(
        {
            "event_id": np.arange(1, n + 1, dtype=np.int64),
            "event_type": types,
            "person_idx": cols["person_idx"].astype(np.int64),
            "other_idx": cols["other_idx"].astype(np.int64),
            "event_date": pl.Series(cols["event_date"]).cast(pl.Date),
            "from_division": pl.Series(cols["from_division"]).cast(pl.String).replace("0", None),
            "to_division": pl.Series(cols["to_division"]).cast(pl.String).replace("0", None),
            "detail": pl.Series(cols["detail"].astype(object), dtype=pl.String),
            "_delay": delay.astype(np.int64),
        }
    )
    return frame.with_columns(reported_date=pl.col("event_date") + pl.duration(days=pl.col("_delay"))).drop(
        "_delay"
    )


def _truth_events(events: pl.DataFrame, person_ids: pl.Series) -> pl.DataFrame:
    """events.parquet: person ids instead of positions."""
    return events.select(
        "event_id",
        "event_type",
        person_id=person_ids.gather(events["person_idx"]),
        other_person_id=person_ids.gather(events["other_idx"].clip(0)).zip_with(
            events["other_idx"] >= 0, pl.Series([None], dtype=pl.Int64)
        ),
        event_date="event_date",
        from_division="from_division",
        to_division="to_division",
        reported_date="reported_date",
        detail="detail",
    )


def _truth_persons(persons: pl.DataFrame) -> pl.DataFrame:
    """persons.parquet in the contract's columns (plus hukou_nature)."""
    ids = persons["person_id"]

    def ref(col: str) -> pl.Series:
        idx = persons[col]
        return ids.gather(idx.clip(0)).zip_with(idx >= 0, pl.Series([None], dtype=pl.Int64))

    return persons.select(
        "person_id",
        "id_number",
        "id_number_15",
        "name",
        "surname",
        "given_name",
        "sex",
        "birth_date",
        "ethnicity",
        "education",
        "marital_status",
        "hukou_type",
        "registered_division",
        "residence_division",
        "household_id",
        "relationship",
        mother_id=ref("mother_idx"),
        father_id=ref("father_idx"),
        birth_order="birth_order",
        death_date="death_date",
        alive=pl.col("death_date").is_null(),
        hukou_nature="hukou_nature",
        spouse_id=ref("spouse_idx"),
    )


def _previous_residence(events: pl.DataFrame, n: int) -> np.ndarray:
    """For each person, the county they last moved away from (0 if none)."""
    moves = (
        events.filter(pl.col("event_type") == "move")
        .group_by("person_idx")
        .agg(pl.col("from_division").sort_by("event_date").last())
    )
    out = np.zeros(n, dtype=np.int64)
    out[moves["person_idx"].to_numpy()] = moves["from_division"].cast(pl.Int64).to_numpy()
    return out


def _addresses(  # type: ignore[no-untyped-def]
    rng: np.random.Generator, pop, geo: Geography, column: str = "registered_division"
) -> pl.Series:
    """An address for every household in the county of ``column``: a street from a Faker pool and a number."""
    from faker import Faker

    fake = Faker("zh_CN")
    fake.seed_instance(int(rng.integers(0, 2**31)))
    streets = np.array([fake.street_name() for _ in range(400)], dtype=object)
    hh = pop["household_id"]
    count = int(hh.max()) + 1 if hh.size else 0
    county = np.zeros(count, dtype=np.int64)
    county[hh] = pop[column]
    names = pl.Series(geo.full_names(county), dtype=pl.String)
    street = pl.Series(streets[rng.integers(0, streets.size, count)], dtype=pl.String)
    number = pl.Series(rng.integers(1, 300, count))
    frame = pl.DataFrame({"c": names, "s": street, "n": number})
    return frame.select(pl.format("{}{}{}号", "c", "s", "n"))["c"]


def _companies(seed: int) -> np.ndarray:
    """A pool of employer names."""
    from faker import Faker

    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    return np.array([fake.company() for _ in range(500)], dtype=object)
