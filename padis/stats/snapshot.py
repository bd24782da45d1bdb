"""The register snapshot the statistics read: six Arrow tables (see docs/contracts.md, "Statistics input")."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import polars as pl
import pyarrow as pa

from padis.errors import InputError

SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "persons": {
        "person_id": pl.Int64, "sex": pl.Utf8, "birth_date": pl.Date, "death_date": pl.Date,
        "marital_status": pl.Utf8, "registered_division": pl.Utf8, "residence_division": pl.Utf8,
        "hukou_type": pl.Utf8,
    },
    "births": {
        "child_id": pl.Int64, "mother_id": pl.Int64, "birth_date": pl.Date, "sex": pl.Utf8,
        "birth_order": pl.Int32, "division": pl.Utf8,
    },
    "deaths": {"person_id": pl.Int64, "death_date": pl.Date, "division": pl.Utf8},
    "moves": {"person_id": pl.Int64, "move_date": pl.Date, "from_division": pl.Utf8, "to_division": pl.Utf8},
    "contraception": {"person_id": pl.Int64, "method": pl.Utf8, "as_of": pl.Date},
    "assistance": {"person_id": pl.Int64, "kind": pl.Utf8, "year": pl.Int32, "division": pl.Utf8},
}


def conform(name: str, frame: pl.DataFrame | pa.Table | None) -> pl.DataFrame:
    """Cast a frame to the contract schema of table ``name`` (missing columns become nulls)."""
    schema = SCHEMAS[name]
    if frame is None:
        return pl.DataFrame(schema=schema)
    df = frame if isinstance(frame, pl.DataFrame) else pl.from_arrow(frame)
    assert isinstance(df, pl.DataFrame)
    cols = []
    for col, dtype in schema.items():
        if col in df.columns:
            src = pl.col(col)
            if dtype == pl.Date and df.schema[col] == pl.Utf8:
                src = src.str.to_date(strict=False)
            elif dtype == pl.Utf8 and df.schema[col] != pl.Utf8:
                src = src.cast(pl.Utf8)
            cols.append(src.cast(dtype, strict=False).alias(col))
        else:
            cols.append(pl.lit(None, dtype=dtype).alias(col))
    return df.select(cols)


@dataclass
class Snapshot:
    """The six statistics input tables as Polars frames in the contract schema."""

    persons: pl.DataFrame
    births: pl.DataFrame
    deaths: pl.DataFrame
    moves: pl.DataFrame
    contraception: pl.DataFrame
    assistance: pl.DataFrame

    @classmethod
    def build(cls, **tables: pl.DataFrame | pa.Table | None) -> Snapshot:
        """A snapshot from any subset of the tables; absent ones are empty, all are cast to the contract."""
        unknown = set(tables) - set(SCHEMAS)
        if unknown:
            raise InputError(f"unknown snapshot table(s) {sorted(unknown)}", where="snapshot",
                             why=f"tables are {sorted(SCHEMAS)}")
        return cls(**{name: conform(name, tables.get(name)) for name in SCHEMAS})

    def tables(self) -> dict[str, pl.DataFrame]:
        """Name → frame for every table."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def save(self, directory: str | Path) -> Path:
        """Write each table as ``<name>.parquet`` into ``directory``."""
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        for name, frame in self.tables().items():
            frame.write_parquet(path / f"{name}.parquet")
        return path

    @classmethod
    def load(cls, directory: str | Path) -> Snapshot:
        """Read a snapshot written by ``save``."""
        path = Path(directory)
        if not (path / "persons.parquet").exists():
            raise InputError("no snapshot here", where=str(path), why="persons.parquet is missing")
        return cls.build(**{n: pl.read_parquet(path / f"{n}.parquet") for n in SCHEMAS
                            if (path / f"{n}.parquet").exists()})

    def divisions(self) -> list[str]:
        """Every division code named in the snapshot."""
        codes: set[str] = set()
        for frame, cols in ((self.persons, ["residence_division", "registered_division"]),
                            (self.births, ["division"]), (self.deaths, ["division"]),
                            (self.moves, ["from_division", "to_division"]), (self.assistance, ["division"])):
            for col in cols:
                codes.update(v for v in frame.get_column(col).unique().to_list() if v)
        return sorted(codes)


def from_synth(directory: str | Path) -> Snapshot:
    """Build the snapshot from ``padis synth`` ground truth (``DIR/truth/persons.parquet``, ``events``)."""
    root = Path(directory)
    truth = root / "truth"
    persons_path = truth / "persons.parquet"
    if not persons_path.exists():
        raise InputError("no synthetic ground truth", where=str(persons_path),
                         why="run `padis synth --out DIR` first")
    people = pl.read_parquet(persons_path)
    if "residence_division" not in people.columns and "registered_division" in people.columns:
        people = people.with_columns(residence_division=pl.col("registered_division"))
    events_path = truth / "events.parquet"
    events = pl.read_parquet(events_path) if events_path.exists() else pl.DataFrame(
        schema={"event_type": pl.Utf8, "person_id": pl.Int64, "event_date": pl.Date,
                "from_division": pl.Utf8, "to_division": pl.Utf8})
    if events.schema.get("event_date") == pl.Utf8:
        events = events.with_columns(pl.col("event_date").str.to_date(strict=False))
    people = conform_dates(people)
    division = pl.col("residence_division")
    births = people.filter(pl.col("mother_id").is_not_null()) if "mother_id" in people.columns \
        else people.clear()
    births = births.select(
        pl.col("person_id").alias("child_id"), "mother_id", "birth_date", "sex",
        (pl.col("birth_order") if "birth_order" in people.columns else pl.lit(None)).alias("birth_order"),
        division.alias("division"),
    )
    deaths = people.filter(pl.col("death_date").is_not_null()).select(
        "person_id", "death_date", division.alias("division"))
    moves = events.filter(pl.col("event_type").is_in(["move", "hukou_transfer"])).select(
        "person_id", pl.col("event_date").alias("move_date"), "from_division", "to_division")
    optional = {}
    for name in ("contraception", "assistance"):
        extra = truth / f"{name}.parquet"
        if extra.exists():
            optional[name] = pl.read_parquet(extra)
    return Snapshot.build(persons=people, births=births, deaths=deaths, moves=moves, **optional)


def conform_dates(frame: pl.DataFrame) -> pl.DataFrame:
    """Parse text date columns (birth_date, death_date) to dates."""
    return frame.with_columns([pl.col(c).str.to_date(strict=False) for c in ("birth_date", "death_date")
                               if c in frame.columns and frame.schema[c] == pl.Utf8])


def from_register(engine: object) -> Snapshot:
    """Build the snapshot from the register tables ``person`` and ``change_feed`` of a SQLAlchemy engine.

    Births, deaths and moves come from the change feed (``birth`` payload may carry ``mother_id`` (else its
    ``related_person_id`` is taken as the mother) and ``birth_order``; a ``move`` goes to the event's
    division, from ``payload.from_division`` when given — otherwise it counts as a move in, not as a move
    out); persons from the golden records. Contraception and assistance are not in the register yet.
    """
    from sqlalchemy import inspect, text

    present = set(inspect(engine).get_table_names())  # type: ignore[arg-type]
    missing = {"person", "change_feed"} - present
    if missing:
        raise InputError(f"register tables missing: {sorted(missing)}", where="register",
                         why="run `padis db upgrade` and load the register first")
    with engine.connect() as conn:  # type: ignore[attr-defined]
        persons = pl.read_database(text(
            "SELECT person_id, sex, birth_date, death_date, marital_status, registered_division, "
            "residence_division, hukou_type FROM person"), conn, infer_schema_length=None)
        feed = pl.read_database(text(
            "SELECT event_type, person_id, division, event_date, payload FROM change_feed "
            "WHERE event_type IN ('birth', 'death', 'move', 'hukou_transfer') ORDER BY seq"),
            conn, infer_schema_length=None)
    persons = persons.with_columns([_to_date(c) for c in ("birth_date", "death_date")])
    feed = feed.with_columns(_to_date("event_date"), pl.col("payload").cast(pl.Utf8).fill_null("{}"))
    payload_type = pl.Struct({"mother_id": pl.Int64, "related_person_id": pl.Int64, "birth_order": pl.Int32,
                              "from_division": pl.Utf8, "to_division": pl.Utf8})
    feed = feed.with_columns(pl.col("payload").str.json_decode(payload_type).alias("p")).unnest("p")
    # a birth record's related person is the mother when the payload does not name her
    feed = feed.with_columns(pl.coalesce("mother_id", "related_person_id").alias("mother_id"))
    sex = persons.select(pl.col("person_id").cast(pl.Int64), pl.col("sex").cast(pl.Utf8))
    births = feed.filter(pl.col("event_type") == "birth").with_columns(
        pl.col("person_id").cast(pl.Int64)).join(sex, on="person_id", how="left").select(
        pl.col("person_id").alias("child_id"), "mother_id", pl.col("event_date").alias("birth_date"), "sex",
        "birth_order", "division")
    deaths = feed.filter(pl.col("event_type") == "death").select(
        "person_id", pl.col("event_date").alias("death_date"), "division")
    moves = feed.filter(pl.col("event_type").is_in(["move", "hukou_transfer"])).select(
        "person_id", pl.col("event_date").alias("move_date"),
        "from_division", pl.coalesce("to_division", "division").alias("to_division"))
    return Snapshot.build(persons=persons, births=births, deaths=deaths, moves=moves)


def _to_date(col: str) -> pl.Expr:
    """A date column from whatever the database returned (date, datetime or ISO text)."""
    return pl.col(col).cast(pl.Utf8).str.slice(0, 10).str.to_date(strict=False).alias(col)
