"""Output layout, mappings against the dictionary, formats and encodings, determinism, CLI."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import polars as pl
import pytest
import yaml
from typer.testing import CliRunner

from padis.errors import InputError
from padis.standards.codes import get_table
from padis.standards.dictionary import get_dictionary
from padis.synth.generate import SynthConfig, generate
from padis.synth.names import get_name_tables

EXPECTED = {
    "public_security__household_register",
    "public_security__moves",
    "public_security__id_issuance",
    "health__birth_certificates",
    "health__death_certificates",
    "civil_affairs__marriages",
    "civil_affairs__deaths",
    "education__enrolment",
    "hrss__insurance",
    "pfp__wcba",
    "pfp__contraception",
    "pfp__floating",
    "pfp__assistance",
}
PERSON_COLUMNS = [
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
    "mother_id",
    "father_id",
    "birth_order",
    "death_date",
    "alive",
]


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_layout_and_truth_columns(synth_dir: Path) -> None:
    assert {p.stem for p in (synth_dir / "extracts").glob("*.parquet")} == EXPECTED
    assert {p.stem for p in (synth_dir / "mappings").glob("*.yaml")} == EXPECTED
    persons = pl.read_parquet(synth_dir / "truth" / "persons.parquet")
    assert persons.columns[: len(PERSON_COLUMNS)] == PERSON_COLUMNS
    assert persons["person_id"].is_unique().all() and persons["id_number"].is_unique().all()
    events = pl.read_parquet(synth_dir / "truth" / "events.parquet")
    assert events.columns[:8] == [
        "event_id",
        "event_type",
        "person_id",
        "other_person_id",
        "event_date",
        "from_division",
        "to_division",
        "reported_date",
    ]
    assert set(events["event_type"].unique()) == {
        "birth",
        "death",
        "marriage",
        "divorce",
        "move",
        "hukou_transfer",
        "school_entry",
    }
    records = pl.read_parquet(synth_dir / "truth" / "records.parquet")
    assert records.columns[:3] == ["dataset", "record_id", "person_id"]
    # the statistics' truth of contraception and assistance (records no event stands for)
    assert pl.read_parquet(synth_dir / "truth" / "contraception.parquet").columns == [
        "person_id",
        "method",
        "as_of",
    ]
    assistance = pl.read_parquet(synth_dir / "truth" / "assistance.parquet")
    assert assistance.columns == ["person_id", "kind", "year", "division"]
    assert (
        set(assistance["kind"]) <= {"10", "22"}
        and assistance["person_id"].is_in(persons["person_id"].implode()).all()
    )
    errors = pl.read_parquet(synth_dir / "truth" / "errors.parquet")
    assert errors.columns[:7] == [
        "dataset",
        "record_id",
        "field",
        "column",
        "error_type",
        "true_value",
        "recorded_value",
    ] or errors.columns[:6] == ["dataset", "record_id", "field", "error_type", "true_value", "recorded_value"]
    assert set(records["person_id"].unique()) <= set(persons["person_id"])


def test_mappings_fit_the_dictionary_and_code_tables(synth_dir: Path) -> None:
    dictionary = get_dictionary()
    for path in sorted((synth_dir / "mappings").glob("*.yaml")):
        mapping = yaml.safe_load(path.read_text(encoding="utf-8"))
        agency, _ = path.stem.split("__")
        assert mapping["agency"] == agency
        record = dictionary.records[mapping["record"]]
        fields = {f.name: f for f in record.fields}
        frame = pl.read_parquet(synth_dir / "extracts" / f"{path.stem}.parquet")
        assert mapping["record_id"] in frame.columns
        for column, field in mapping["columns"].items():
            assert column in frame.columns, (path.stem, column)
            assert field in fields, (path.stem, field)
        for field, table in mapping.get("codes", {}).items():
            allowed = set(get_table(fields[field].code_table).codes)
            assert set(table.values()) <= allowed, (path.stem, field)
            column = next(c for c, f in mapping["columns"].items() if f == field)
            seen = set(frame[column].drop_nulls().unique())
            assert seen <= set(table), (path.stem, column, seen - set(table))
        for field, formats in mapping.get("dates", {}).items():
            column = next(c for c, f in mapping["columns"].items() if f == field)
            parsed = frame.select(pl.coalesce([pl.col(column).str.to_date(f, strict=False) for f in formats]))
            assert parsed.to_series().null_count() <= frame[column].null_count() + 0.01 * frame.height, (
                path.stem,
                field,
            )


def test_required_fields_are_mapped(synth_dir: Path) -> None:
    dictionary = get_dictionary()
    for path in sorted((synth_dir / "mappings").glob("*.yaml")):
        mapping = yaml.safe_load(path.read_text(encoding="utf-8"))
        record = dictionary.records[mapping["record"]]
        required = {f.name for f in record.fields if f.required}
        mapped = set(mapping["columns"].values())
        # the marriage and birth certificates carry their numbers in the record key column
        missing = required - mapped
        assert not missing, (path.stem, missing)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    def run(name: str, seed: int) -> dict[str, str]:
        generate(
            SynthConfig(
                out=tmp_path / name, persons=4_000, provinces=["11", "13"], years=(2022, 2023), seed=seed
            )
        )
        return _digests(tmp_path / name)

    first, second, other = run("a", 9), run("b", 9), run("c", 10)
    assert first == second  # manifest.json included: it holds no wall-clock time
    assert first["truth/persons.parquet"] != other["truth/persons.parquet"]


def test_csv_in_gbk_and_xlsx(tmp_path: Path) -> None:
    generate(
        SynthConfig(
            out=tmp_path / "gbk",
            persons=3_000,
            provinces=["65"],
            years=(2022, 2022),
            seed=3,
            fmt="csv",
            encoding="gbk",
        )
    )
    data = (tmp_path / "gbk" / "extracts" / "public_security__household_register.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    frame = pl.read_csv(io.StringIO(data.decode("gbk")), infer_schema=False)
    assert frame.height > 2_000 and frame["XM"].str.contains("·").any()
    generate(
        SynthConfig(
            out=tmp_path / "x", persons=1_000, provinces=["11"], years=(2022, 2022), seed=3, fmt="xlsx"
        )
    )
    from openpyxl import load_workbook

    wb = load_workbook(tmp_path / "x" / "extracts" / "hrss__insurance.xlsx", read_only=True)
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][0] == "GRBH" and len(rows) > 100


def test_name_tables_are_gbk_encodable() -> None:
    tables = get_name_tables()
    "".join(tables.tokens).encode("gbk")
    "".join(tables.traditional.values()).encode("gbk")
    assert len(tables.surname_idx) >= 250
    assert tables.surname_p[0] > 0.05  # 王


def test_bad_parameters_are_input_errors(tmp_path: Path) -> None:
    for kwargs in (
        {"persons": 5},
        {"years": (2025, 2021)},
        {"fmt": "json"},
        {"encoding": "latin-1", "fmt": "csv"},
        {"encoding": "gbk"},
    ):
        with pytest.raises(InputError):
            SynthConfig(out=tmp_path, **kwargs).check()  # type: ignore[arg-type]


def test_cli_writes_the_data_set(tmp_path: Path) -> None:
    from padis.cli import app

    out = tmp_path / "cli"
    result = CliRunner().invoke(
        app,
        [
            "synth",
            "--persons",
            "2000",
            "--provinces",
            "11",
            "--years",
            "2022-2023",
            "--seed",
            "5",
            "--out",
            str(out),
            "--error-rate",
            "duplicate=0.05",
        ],
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 5 and manifest["error_rates"]["duplicate"] == 0.05
    assert "hrss__insurance" in result.output
    bad = CliRunner().invoke(app, ["synth", "--provinces", "99", "--out", str(out)])
    assert bad.exit_code != 0


def test_xlsx_continues_on_further_sheets_past_the_row_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openpyxl import load_workbook

    from padis.synth import writer

    monkeypatch.setattr(writer, "XLSX_MAX_ROWS", 11)
    frame = pl.DataFrame({"A": [str(i) for i in range(25)], "B": ["李友琴"] * 25})
    path = writer.write_table(frame, tmp_path / "big", "xlsx", "utf-8")
    wb = load_workbook(path, read_only=True)
    sheets = [list(ws.iter_rows(values_only=True)) for ws in wb.worksheets]
    assert [len(s) for s in sheets] == [11, 11, 6]
    assert all(s[0] == ("A", "B") for s in sheets)
    assert [r[0] for s in sheets for r in s[1:]] == [str(i) for i in range(25)]
