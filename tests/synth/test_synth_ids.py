"""Identity numbers: valid unless corrupted on purpose, and every corrupted one is in the ground truth."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import yaml

from padis.standards.dictionary import get_dictionary
from padis.standards.idnumber import check_char, check_ids, make_id, to_18
from padis.synth.ids import draw_sequences, id_keys, id_strings, is_valid_18

ID_ERRORS = {"id_mistype", "id_transpose", "id_old15", "id_missing"}


def _id_columns(synth_dir: Path) -> list[tuple[str, str]]:
    """(dataset, column) of every column mapped to an identity-number field."""
    dictionary = get_dictionary()
    out = []
    for path in sorted((synth_dir / "mappings").glob("*.yaml")):
        mapping = yaml.safe_load(path.read_text(encoding="utf-8"))
        types = {f.name: f.type for f in dictionary.records[mapping["record"]].fields}
        out += [
            (path.stem, col) for col, field in mapping["columns"].items() if types.get(field) == "id_number"
        ]
    return out


def test_bulk_numbers_match_the_standards_module() -> None:
    rng = np.random.default_rng(0)
    n = 5_000
    region = rng.choice(np.array([110101, 130102, 650102, 540102]), n)
    birth = np.datetime64("1930-01-01") + rng.integers(0, 34_000, n)
    sex = np.where(rng.random(n) < 0.5, "1", "2")
    seq = draw_sequences(rng, region, birth, sex)
    id18, id15 = id_strings(id_keys(region, birth, seq))
    assert id18.n_unique() == n
    for i in range(0, n, 97):
        date = dt.date.fromisoformat(str(birth[i]))
        assert id18[i] == make_id(str(region[i]), date, int(seq[i]))
        assert id18[i][-1] == check_char(id18[i][:17])
        if date.year < 2000:
            assert to_18(id15[i]) == id18[i]
        assert int(id18[i][16]) % 2 == (1 if sex[i] == "1" else 0)
    assert is_valid_18(id18).all()
    assert not is_valid_18(pl.Series(["110101199001011234", "1101011990010112", None])).any()


def test_every_invalid_id_was_corrupted_on_purpose(synth_dir: Path) -> None:
    errors = pl.read_parquet(synth_dir / "truth" / "errors.parquet")
    checked = 0
    for dataset, column in _id_columns(synth_dir):
        mapping = yaml.safe_load((synth_dir / "mappings" / f"{dataset}.yaml").read_text(encoding="utf-8"))
        frame = pl.read_parquet(synth_dir / "extracts" / f"{dataset}.parquet")
        values = frame.select(mapping["record_id"], column).filter(pl.col(column).is_not_null())
        result = check_ids(values[column])
        bad = values.filter(~result["valid"])
        listed = errors.filter(
            (pl.col("dataset") == dataset)
            & (pl.col("column") == column)
            & pl.col("error_type").is_in(list(ID_ERRORS))
        )
        missing = bad.join(listed, left_on=mapping["record_id"], right_on="record_id", how="anti")
        assert missing.height == 0, (dataset, column, missing.head())
        checked += values.height
    assert checked > 50_000


def test_clean_ids_are_the_true_persons_numbers(synth_dir: Path) -> None:
    persons = pl.read_parquet(synth_dir / "truth" / "persons.parquet").select(
        "person_id", "id_number", "sex", "birth_date"
    )
    records = pl.read_parquet(synth_dir / "truth" / "records.parquet")
    errors = pl.read_parquet(synth_dir / "truth" / "errors.parquet")
    mapping = yaml.safe_load(
        (synth_dir / "mappings" / "public_security__household_register.yaml").read_text("utf-8")
    )
    frame = pl.read_parquet(synth_dir / "extracts" / "public_security__household_register.parquet")
    joined = frame.join(
        records.filter(pl.col("dataset") == "public_security__household_register"),
        left_on=mapping["record_id"],
        right_on="record_id",
    ).join(persons, on="person_id")
    listed = errors.filter(
        (pl.col("dataset") == "public_security__household_register") & (pl.col("column") == "GMSFHM")
    )["record_id"]
    clean = joined.filter(~pl.col(mapping["record_id"]).is_in(listed.implode()))
    assert clean.height > 0.9 * joined.height
    assert (clean["GMSFHM"] == clean["id_number"]).all()
    parsed = check_ids(clean["GMSFHM"])
    assert (parsed["sex"] == clean["sex"]).all()
    assert (parsed["birth_date"] == clean["birth_date"]).all()
    assert (
        parsed["region_code"].str.slice(0, 2).is_in(pl.Series([str(c) for c in range(11, 66)]).implode())
    ).all()


def test_corrupted_ids_fail_unless_listed_as_still_valid(synth_dir: Path) -> None:
    errors = pl.read_parquet(synth_dir / "truth" / "errors.parquet").filter(
        pl.col("error_type").is_in(["id_mistype", "id_transpose"])
    )
    assert errors.height > 20
    result = check_ids(errors["recorded_value"])
    # a mistyped number can by chance be valid (about 1 in 11); it stays listed as an error either way
    assert (~result["valid"]).mean() > 0.75
    assert (errors["recorded_value"] != errors["true_value"]).all()


def test_old_15_digit_numbers_belong_to_people_born_before_1999(synth_dir: Path) -> None:
    errors = pl.read_parquet(synth_dir / "truth" / "errors.parquet").filter(
        pl.col("error_type") == "id_old15"
    )
    assert errors.height > 10
    assert (errors["recorded_value"].str.len_chars() == 15).all()
    assert all(to_18(a) == b for a, b in zip(errors["recorded_value"], errors["true_value"], strict=True))


def test_id_address_code_was_in_force_when_the_number_was_issued() -> None:
    from padis.standards.divisions import get_divisions
    from padis.synth.geography import Geography

    geo = Geography.load(["13"], seed=1)
    registered = np.array([130109, 130109, 110105])  # 藁城区 (since 2014, before: 藁城市 130182)
    region = geo.id_region(registered, np.array([2000, 2016, 1990]))
    assert region.tolist() == [130182, 130109, 110105]
    early = geo.id_region(np.array([130109]), np.array([1988]))[0]
    assert get_divisions().valid_in(str(early), 1988), early
