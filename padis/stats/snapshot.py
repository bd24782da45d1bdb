"""The register snapshot the statistics read: six Arrow tables (see docs/contracts.md, "Statistics input")."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import polars as pl
import pyarrow as pa

from padis.errors import InputError

SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "persons": {
        "person_id": pl.Int64,
        "sex": pl.Utf8,
        "birth_date": pl.Date,
        "death_date": pl.Date,
        "marital_status": pl.Utf8,
        "registered_division": pl.Utf8,
        "residence_division": pl.Utf8,
        "hukou_type": pl.Utf8,
    },
    "births": {
        "child_id": pl.Int64,
        "mother_id": pl.Int64,
        "birth_date": pl.Date,
        "sex": pl.Utf8,
        "birth_order": pl.Int32,
        "division": pl.Utf8,
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
    out = df.select(cols)
    return out.with_columns(_programme(pl.col("kind"))) if name == "assistance" else out


def _programme(kind: pl.Expr) -> pl.Expr:
    """An assistance_kind code as the statistics count it: 10 → reward, 2x → special (names stay)."""
    special = kind.str.starts_with("2") & (kind.str.len_chars() == 2)
    return (
        pl.when(kind == "10")
        .then(pl.lit("reward"))
        .when(special)
        .then(pl.lit("special"))
        .otherwise(kind)
        .alias("kind")
    )


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
            raise InputError(
                f"unknown snapshot table(s) {sorted(unknown)}",
                where="snapshot",
                why=f"tables are {sorted(SCHEMAS)}",
            )
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
        return cls.build(
            **{n: pl.read_parquet(path / f"{n}.parquet") for n in SCHEMAS if (path / f"{n}.parquet").exists()}
        )

    def divisions(self) -> list[str]:
        """Every division code named in the snapshot."""
        codes: set[str] = set()
        for frame, cols in (
            (self.persons, ["residence_division", "registered_division"]),
            (self.births, ["division"]),
            (self.deaths, ["division"]),
            (self.moves, ["from_division", "to_division"]),
            (self.assistance, ["division"]),
        ):
            for col in cols:
                codes.update(v for v in frame.get_column(col).unique().to_list() if v)
        return sorted(codes)


def from_synth(directory: str | Path) -> Snapshot:
    """Build the snapshot from ``padis synth`` ground truth (``DIR/truth/persons.parquet``, ``events``)."""
    root = Path(directory)
    truth = root / "truth"
    persons_path = truth / "persons.parquet"
    if not persons_path.exists():
        raise InputError(
            "no synthetic ground truth", where=str(persons_path), why="run `padis synth --out DIR` first"
        )
    people = pl.read_parquet(persons_path)
    if "residence_division" not in people.columns and "registered_division" in people.columns:
        people = people.with_columns(residence_division=pl.col("registered_division"))
    events_path = truth / "events.parquet"
    events = (
        pl.read_parquet(events_path)
        if events_path.exists()
        else pl.DataFrame(
            schema={
                "event_type": pl.Utf8,
                "person_id": pl.Int64,
                "event_date": pl.Date,
                "from_division": pl.Utf8,
                "to_division": pl.Utf8,
            }
        )
    )
    if events.schema.get("event_date") == pl.Utf8:
        events = events.with_columns(pl.col("event_date").str.to_date(strict=False))
    people = conform_dates(people)
    division = pl.col("residence_division")
    births = (
        people.filter(pl.col("mother_id").is_not_null()) if "mother_id" in people.columns else people.clear()
    )
    births = births.select(
        pl.col("person_id").alias("child_id"),
        "mother_id",
        "birth_date",
        "sex",
        (pl.col("birth_order") if "birth_order" in people.columns else pl.lit(None)).alias("birth_order"),
        division.alias("division"),
    )
    deaths = people.filter(pl.col("death_date").is_not_null()).select(
        "person_id", "death_date", division.alias("division")
    )
    moves = events.filter(pl.col("event_type").is_in(["move", "hukou_transfer"])).select(
        "person_id", pl.col("event_date").alias("move_date"), "from_division", "to_division"
    )
    optional = {}
    for name in ("contraception", "assistance"):
        extra = truth / f"{name}.parquet"
        if extra.exists():
            optional[name] = pl.read_parquet(extra)
    return Snapshot.build(persons=people, births=births, deaths=deaths, moves=moves, **optional)


def conform_dates(frame: pl.DataFrame) -> pl.DataFrame:
    """Parse text date columns (birth_date, death_date) to dates."""
    return frame.with_columns(
        [
            pl.col(c).str.to_date(strict=False)
            for c in ("birth_date", "death_date")
            if c in frame.columns and frame.schema[c] == pl.Utf8
        ]
    )


def from_register(engine: object) -> Snapshot:
    """Build the snapshot from the register: golden records, the change feed and the records behind it.

    - persons: the golden records (one no record places counts where their school, insurance or
      service county is); deaths: the golden death date (one per person, whichever agencies
      reported it), counted where the person lived, else where the death record says they died;
    - births: the feed's birth events with the birth record's own values (child's sex, mother, birth
      order, birth place), one per child; a newborn without a golden record still counts;
    - moves: the feed's move and hukou-transfer events at the move date the record gives (a floating
      registration is dated when its permit was issued), one per person, type, date and destination;
    - contraception and assistance: the collected records of those types (the pfp agency's).
    A feed event without a source record (an older feed) falls back to its payload.
    """
    from sqlalchemy import inspect

    from padis.store.bulk import read_polars

    present = set(inspect(engine).get_table_names())  # type: ignore[arg-type]
    missing = {"person", "change_feed", "source_record"} - present
    if missing:
        raise InputError(
            f"register tables missing: {sorted(missing)}",
            where="register",
            why="run `padis db upgrade` and load the register first",
        )
    with engine.connect() as conn:  # type: ignore[attr-defined]
        persons = read_polars(
            conn,
            (
                "SELECT person_id, sex, birth_date, death_date, marital_status, registered_division, "
                "residence_division, hukou_type FROM person"
            ),
            schema=_PERSON_TYPES,
        )
        feed = read_polars(
            conn,
            (
                "SELECT f.seq, f.event_type, f.person_id, f.division, f.event_date, f.payload, f.agency, "
                "s.sex AS record_sex, s.related_person_id AS record_related, s.fields AS record_fields "
                "FROM change_feed f LEFT JOIN source_record s ON s.record_id = f.record_id "
                "WHERE f.event_type IN ('birth', 'death', 'move', 'hukou_transfer')"
            ),
            schema=_FEED_TYPES,
        )
        records = read_polars(
            conn,
            (
                "SELECT record_type, person_id, event_date, residence_division, registered_division, fields "
                "FROM source_record WHERE record_type IN ('contraception', 'assistance') "
                "AND person_id IS NOT NULL"
            ),
            schema=_RECORD_TYPES,
        )
        # persons no record places (known only to schools, social insurance …): where those records are
        placed = read_polars(
            conn,
            (
                "SELECT s.person_id, s.record_id, s.fields FROM source_record s JOIN person p "
                "ON p.person_id = s.person_id WHERE p.residence_division IS NULL "
                "AND p.registered_division IS NULL"
            ),
            schema={"person_id": pl.Int64, "record_id": pl.Int64, "fields": pl.Utf8},
        )
    persons = _place_unplaced(persons, placed)
    persons = persons.with_columns([_to_date(c) for c in ("birth_date", "death_date")])
    feed = _decode(feed.sort("seq").with_columns(_to_date("event_date")))
    records = records.with_columns(_to_date("event_date"))
    return Snapshot.build(
        persons=persons,
        births=_births(feed, persons),
        deaths=_deaths(persons, feed),
        moves=_moves(feed),
        contraception=_contraception(records),
        assistance=_assistance(records),
    )


_PERSON_TYPES = {
    "person_id": pl.Int64,
    **{
        c: pl.Utf8
        for c in (
            "sex",
            "birth_date",
            "death_date",
            "marital_status",
            "registered_division",
            "residence_division",
            "hukou_type",
        )
    },
}
_FEED_TYPES = {
    "seq": pl.Int64,
    "person_id": pl.Int64,
    "record_related": pl.Int64,
    **{
        c: pl.Utf8
        for c in ("event_type", "division", "event_date", "payload", "agency", "record_sex", "record_fields")
    },
}
_RECORD_TYPES = {
    "person_id": pl.Int64,
    **{
        c: pl.Utf8
        for c in ("record_type", "event_date", "residence_division", "registered_division", "fields")
    },
}
# what the statistics read from a feed payload and from a record's extra fields (all JSON text values)
_PAYLOAD = pl.Struct(
    {
        "mother_id": pl.Int64,
        "related_person_id": pl.Int64,
        "birth_order": pl.Int32,
        "from_division": pl.Utf8,
        "to_division": pl.Utf8,
    }
)
_FIELDS = pl.Struct(
    {
        k: pl.Utf8
        for k in (
            "birth_order",
            "birth_place_division",
            "death_place_division",
            "from_division",
            "to_division",
            "move_date",
            "method",
            "as_of",
            "kind",
            "year",
            "division",
        )
    }
)


def _json(col: str, dtype: pl.Struct, prefix: str) -> pl.Expr:
    """Decode a JSON text column into ``prefix``-named struct fields (an empty object when null)."""
    return (
        pl.col(col)
        .cast(pl.Utf8)
        .fill_null("{}")
        .str.json_decode(dtype)
        .struct.rename_fields([f"{prefix}{f.name}" for f in dtype.fields])
        .alias(col)
    )


def _decode(feed: pl.DataFrame) -> pl.DataFrame:
    """The feed with its payload (``p_*``) and its record's fields (``r_*``) as columns."""
    return feed.with_columns(_json("payload", _PAYLOAD, "p_"), _json("record_fields", _FIELDS, "r_")).unnest(
        "payload", "record_fields"
    )


# record fields that place a person when no record gives a residence (newest record first)
PLACING_FIELDS = ("school_division", "insured_division", "service_division")


def _place_unplaced(persons: pl.DataFrame, placed: pl.DataFrame) -> pl.DataFrame:
    """Count a person no record gives a residence or registration where their newest record places them.

    Such persons are alive in the register but would be left out of every division's population; the
    school, insured place or service county of their latest record is the best place known.
    """
    where = (
        placed.with_columns(_json("fields", pl.Struct({f: pl.Utf8 for f in PLACING_FIELDS}), ""))
        .unnest("fields")
        .select("person_id", "record_id", pl.coalesce(*PLACING_FIELDS).alias("place"))
        .drop_nulls("place")
        .sort("record_id", descending=True)
        .unique("person_id", keep="first")
        .select("person_id", "place")
    )
    return (
        persons.join(where, on="person_id", how="left")
        .with_columns(pl.coalesce("residence_division", "place").alias("residence_division"))
        .drop("place")
    )


def _births(feed: pl.DataFrame, persons: pl.DataFrame) -> pl.DataFrame:
    """One row per birth event (per child where the child is known), placed where the child lives."""
    who = persons.select(
        "person_id", "sex", pl.coalesce("residence_division", "registered_division").alias("home")
    )
    births = feed.filter(pl.col("event_type") == "birth").with_columns(
        pl.coalesce("p_mother_id", "record_related", "p_related_person_id").alias("mother_id")
    )
    births = births.join(who, on="person_id", how="left").join(
        who.select(pl.col("person_id").alias("mother_id"), pl.col("home").alias("mother_home")),
        on="mother_id",
        how="left",
    )
    births = births.select(
        pl.col("person_id").alias("child_id"),
        "mother_id",
        pl.col("event_date").alias("birth_date"),
        pl.coalesce("record_sex", "sex").alias("sex"),
        pl.coalesce(pl.col("r_birth_order").cast(pl.Int32, strict=False), "p_birth_order").alias(
            "birth_order"
        ),
        pl.coalesce("home", "mother_home", "r_birth_place_division", "division").alias("division"),
    )
    known = births.filter(pl.col("child_id").is_not_null()).unique(
        "child_id", keep="first", maintain_order=True
    )
    return pl.concat([known, births.filter(pl.col("child_id").is_null())])


def _deaths(persons: pl.DataFrame, feed: pl.DataFrame) -> pl.DataFrame:
    """One death per person: the golden death date, where the person lived (else where they died)."""
    place = (
        feed.filter((pl.col("event_type") == "death") & pl.col("person_id").is_not_null())
        .select("person_id", pl.col("r_death_place_division").alias("place"))
        .drop_nulls()
        .unique("person_id", keep="first", maintain_order=True)
    )
    return (
        persons.filter(pl.col("death_date").is_not_null())
        .join(place, on="person_id", how="left")
        .select(
            "person_id",
            "death_date",
            pl.coalesce("residence_division", "registered_division", "place").alias("division"),
        )
    )


def _moves(feed: pl.DataFrame) -> pl.DataFrame:
    """Moves and hukou transfers at their move date; two agencies' reports of one move count once.

    Of two reports the one from the agency first for ``registered_division`` is kept: public security
    registers moves with their origin, while a floating registration (pfp, authoritative for the
    residence itself) names the household-registration county as where the person came from.
    """
    from padis.register.golden import precedence

    order = pl.DataFrame({"agency": precedence("registered_division")}).with_row_index("_rank")
    moves = (
        feed.filter(pl.col("event_type").is_in(["move", "hukou_transfer"]))
        .join(order, on="agency", how="left")
        .sort(["_rank", "seq"], nulls_last=True)
        .select(
            "person_id",
            "event_type",
            pl.coalesce(pl.col("r_move_date").str.to_date(strict=False), "event_date").alias("move_date"),
            pl.coalesce("p_from_division", "r_from_division").alias("from_division"),
            pl.coalesce("p_to_division", "r_to_division", "division").alias("to_division"),
        )
    )
    return moves.unique(
        ["person_id", "event_type", "move_date", "to_division"], keep="first", maintain_order=True
    ).drop("event_type")


def _fields(records: pl.DataFrame, record_type: str) -> pl.DataFrame:
    """The records of one type with their extra fields as ``r_*`` columns."""
    return (
        records.filter(pl.col("record_type") == record_type)
        .with_columns(_json("fields", _FIELDS, "r_"))
        .unnest("fields")
    )


def _contraception(records: pl.DataFrame) -> pl.DataFrame:
    """Each contraception record: the method in use as of its date."""
    return _fields(records, "contraception").select(
        "person_id",
        pl.col("r_method").alias("method"),
        pl.coalesce(pl.col("r_as_of").str.to_date(strict=False), "event_date").alias("as_of"),
    )


def _assistance(records: pl.DataFrame) -> pl.DataFrame:
    """Each assistance record: kind, year paid for, the paying county."""
    return _fields(records, "assistance").select(
        "person_id",
        pl.col("r_kind").alias("kind"),
        pl.coalesce(pl.col("r_year").cast(pl.Int32, strict=False), pl.col("event_date").dt.year()).alias(
            "year"
        ),
        pl.coalesce("r_division", "residence_division", "registered_division").alias("division"),
    )


def _to_date(col: str) -> pl.Expr:
    """A date column from whatever the database returned (date, datetime or ISO text)."""
    return pl.col(col).cast(pl.Utf8).str.slice(0, 10).str.to_date(strict=False).alias(col)
