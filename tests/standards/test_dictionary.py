"""Data dictionary: structure, "one data, one source" authorities, sensitivities, derived views, masking."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import polars as pl
import pydantic
import pytest
import yaml

from padis.errors import ConfigError, InputError
from padis.standards import codes
from padis.standards import dictionary as dic

RECORDS = [
    "person", "household", "marriage", "birth", "death", "migration",
    "contraception", "assistance", "schooling", "insurance",
]  # fmt: skip
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def d() -> dic.Dictionary:
    return dic.get_dictionary()


def test_records_are_the_contract_ones(d: dic.Dictionary) -> None:
    assert list(d.records) == RECORDS
    assert dic.get_dictionary() is d  # cached


def test_every_field_is_complete_and_valid(d: dic.Dictionary) -> None:
    agencies = set(codes.get_table("agency").codes)
    for rec in d.records.values():
        assert CJK.search(rec.label) and rec.description and rec.key
        assert all(rec.has_field(k) for k in rec.key)
        assert len(set(rec.field_names)) == len(rec.fields)
        for f in rec.fields:
            assert CJK.search(f.label), f
            assert f.description and f.record == rec.name
            assert f.type in dic.FIELD_TYPES and f.sensitivity in dic.SENSITIVITY_LEVELS
            assert f.authority in agencies
            assert (f.code_table is not None) == (f.type == "code")
            if f.code_table:
                assert f.code_table in codes.list_tables()
                assert f.max_length == codes.get_table(f.code_table).max_length
            if f.type in dic.TEXT_TYPES:
                assert f.max_length and f.max_length > 0


def test_person_has_the_golden_record_fields(d: dic.Dictionary) -> None:
    person = d.record("person")
    golden = [
        "id_number", "name", "sex", "birth_date", "ethnicity", "education", "marital_status", "hukou_type",
        "registered_division", "residence_division", "death_date", "status",
    ]  # fmt: skip
    assert all(person.has_field(f) for f in golden)
    for name in (
        "former_name",
        "hukou_nature",
        "registered_address",
        "residence_address",
        "phone",
        "occupation",
    ):
        assert person.has_field(name)
    assert person.field("id_number").required and person.field("id_number").max_length == 18
    assert person.key == ("id_number",)


def test_stats_snapshot_inputs_are_defined(d: dic.Dictionary) -> None:
    assert d.record("contraception").has_field("method") and d.record("contraception").has_field("as_of")
    for name in ("kind", "year", "division"):
        assert d.record("assistance").has_field(name)
    for name in ("birth_order", "mother_id_number", "mother_name", "father_id_number", "birth_weight"):
        assert d.record("birth").has_field(name)
    for name in ("from_division", "to_division", "reason", "move_date", "residence_permit_no"):
        assert d.record("migration").has_field(name)


@pytest.mark.parametrize(
    ("field", "agency"),
    [
        ("id_number", "public_security"),
        ("name", "public_security"),
        ("sex", "public_security"),
        ("birth_date", "public_security"),
        ("ethnicity", "public_security"),
        ("hukou_type", "public_security"),
        ("registered_division", "public_security"),
        ("household_id", "public_security"),
        ("education", "education"),
        ("marital_status", "civil_affairs"),
        ("death_date", "civil_affairs"),
        ("occupation", "hrss"),
        ("residence_division", "pfp"),
    ],
)
def test_person_field_authority(d: dic.Dictionary, field: str, agency: str) -> None:
    assert d.authority(field) == agency


@pytest.mark.parametrize(
    ("record", "agency"),
    [
        ("birth", "health"),
        ("marriage", "civil_affairs"),
        ("death", "civil_affairs"),
        ("schooling", "education"),
        ("insurance", "hrss"),
        ("contraception", "pfp"),
        ("assistance", "pfp"),
        ("household", "public_security"),
    ],
)
def test_business_records_are_owned_by_their_agency(d: dic.Dictionary, record: str, agency: str) -> None:
    rec = d.record(record)
    assert rec.authority == agency
    for f in rec.fields:
        expected = "public_security" if f.type in ("id_number", "name") else agency
        assert f.authority == expected, f.name


def test_migration_floating_services_pfp_permits_public_security(d: dic.Dictionary) -> None:
    mig = d.record("migration")
    assert mig.field("reason").authority == "pfp" and mig.field("to_division").authority == "pfp"
    assert mig.field("residence_permit_no").authority == "public_security"


def test_identity_fields_always_belong_to_public_security(d: dic.Dictionary) -> None:
    identity = [f for r in d.records.values() for f in r.fields if f.type in ("id_number", "name")]
    assert len(identity) > 20
    assert {f.authority for f in identity} == {"public_security"}
    assert {f.sensitivity for f in identity} == {"sensitive"}


def test_sensitivities(d: dic.Dictionary) -> None:
    person = d.record("person")
    for name in ("id_number", "name", "phone", "registered_address", "residence_address", "ethnicity"):
        assert person.field(name).sensitivity == "sensitive", name
    assert d.field("household", "member_count").sensitivity == "public"
    secret = {(f.record, f.name) for f in d.fields_by_sensitivity("secret")}
    assert ("assistance", "bank_account_no") in secret and ("death", "death_cause") in secret
    at_least = d.fields_by_sensitivity("sensitive", at_least=True)
    assert {f.sensitivity for f in at_least} == {"sensitive", "secret"}
    assert len(at_least) == len(d.fields_by_sensitivity("sensitive")) + len(secret)
    with pytest.raises(InputError):
        d.fields_by_sensitivity("top")


def test_events_and_event_dates(d: dic.Dictionary) -> None:
    assert d.record("birth").events == ("birth",) and d.record("birth").event_date == "birth_date"
    assert d.record("death").events == ("death",) and d.record("death").event_date == "death_date"
    assert set(d.record("marriage").events) == {"marriage", "divorce"}
    assert set(d.record("migration").events) == {"move", "hukou_transfer"}
    assert d.record("person").events == () and d.record("person").event_type_expr() is None
    frame = pl.DataFrame({"registration_type": ["1", "2", "3", None]})
    got = frame.select(d.record("marriage").event_type_expr()).to_series().to_list()
    assert got == ["marriage", "divorce", None, None]
    frame = pl.DataFrame({"migration_kind": ["2", "1"]})
    assert frame.select(d.record("migration").event_type_expr()).to_series().to_list() == [
        "hukou_transfer",
        "move",
    ]
    births = pl.DataFrame({"x": [1, 2]}).with_columns(d.record("birth").event_type_expr())
    assert births.get_column("event_type").to_list() == ["birth", "birth"]


def test_unknown_record_and_field_are_input_errors(d: dic.Dictionary) -> None:
    with pytest.raises(InputError, match="unknown record"):
        d.record("people")
    with pytest.raises(InputError) as info:
        d.field("person", "idnumber")
    assert "id_number" in info.value.why
    with pytest.raises(InputError):
        d.authority("bank_account_no")  # not a person-level field


# --- derived views -------------------------------------------------------------------------------


def test_polars_schema(d: dic.Dictionary) -> None:
    schema = dic.polars_schema("birth")
    assert list(schema) == d.record("birth").field_names
    assert schema["birth_date"] == pl.Date and schema["birth_weight"] == pl.Int64
    assert schema["child_sex"] == pl.String and schema["mother_id_number"] == pl.String
    assert dic.polars_schema("assistance")["amount"] == pl.Float64
    assert pl.DataFrame(schema=dic.polars_schema("person")).width == len(d.record("person").fields)


def test_json_schema(d: dic.Dictionary) -> None:
    schema = dic.json_schema("person")
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    assert set(schema["required"]) == {f.name for f in d.record("person").fields if f.required}
    props = schema["properties"]
    assert props["id_number"]["pattern"] == dic.ID_NUMBER_PATTERN and props["id_number"]["maxLength"] == 18
    assert props["sex"]["enum"] == ["0", "1", "2", "9"]
    assert props["education"]["enum"][-1] is None and props["education"]["type"] == ["string", "null"]
    assert props["birth_date"]["format"] == "date"
    assert props["registered_division"]["pattern"] == dic.DIVISION_PATTERN
    assert props["phone"]["x-sensitivity"] == "sensitive" and props["education"]["x-authority"] == "education"


def test_pydantic_model_validates_records() -> None:
    model = dic.pydantic_model("marriage")
    good = {
        "certificate_no": "J110105-2020-000123",
        "registration_type": "1",
        "registration_date": "2020-05-20",
        "registration_division": "110105",
        "husband_id_number": "11010519900101001X",
        "husband_name": "张三",
        "wife_id_number": "110105199201010028",
        "wife_name": "李四",
    }
    row = model.model_validate(good)
    assert row.registration_date == dt.date(2020, 5, 20)
    for bad in ({"registration_type": "9"}, {"registration_division": "1101"}, {"wife_id_number": "123"}):
        with pytest.raises(pydantic.ValidationError):
            model.model_validate({**good, **bad})
    with pytest.raises(pydantic.ValidationError):
        model.model_validate({**good, "extra": 1})
    with pytest.raises(pydantic.ValidationError):
        model.model_validate({k: v for k, v in good.items() if k != "wife_name"})
    assert dic.pydantic_model("marriage") is model


def test_sqlalchemy_columns_create_and_round_trip(engine) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import Date, MetaData, Numeric, String, Table, insert, select

    columns = dic.sqlalchemy_columns("assistance")
    by_name = {c.name: c for c in columns}
    assert isinstance(by_name["id_number"].type, String) and by_name["id_number"].type.length == 18
    assert by_name["id_number"].nullable is False and by_name["amount"].nullable is True
    assert isinstance(by_name["amount"].type, Numeric) and isinstance(by_name["approval_date"].type, Date)
    assert by_name["kind"].comment == "扶助类别"
    metadata = MetaData()
    table = Table("t_dictionary_assistance", metadata, *columns)
    Table("t_dictionary_assistance_2", metadata, *dic.sqlalchemy_columns("assistance"))  # fresh columns
    metadata.create_all(engine)
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(table).values(
                    id_number="11010519491231002X",
                    name="王五",
                    kind="22",
                    year=2024,
                    division="110105",
                    amount=5280.00,
                    approval_date=dt.date(2024, 3, 1),
                )  # fmt: skip
            )
            row = conn.execute(select(table.c.kind, table.c.amount, table.c.approval_date)).one()
        assert row.kind == "22" and float(row.amount) == 5280.0 and row.approval_date == dt.date(2024, 3, 1)
    finally:
        metadata.drop_all(engine)


# --- masking -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "field", "value", "masked"),
    [
        ("person", "id_number", "11010519800101123X", "110105********123X"),
        ("person", "id_number", "110105800101123", "110105*****1123"),
        ("person", "name", "张三", "张*"),
        ("person", "name", "欧阳娜娜", "欧***"),
        ("person", "phone", "13812345678", "138****5678"),
        ("person", "registered_address", "北京市朝阳区建国路88号", "北京市朝阳区****"),
        ("person", "registered_address", "朝阳区1号", "朝阳****"),
        ("person", "phone", "010-65123456", "010*****3456"),
        ("person", "phone", "65123456", "****3456"),
        ("person", "phone", "110", "***"),
        ("person", "birth_date", dt.date(1985, 3, 1), "1985-**-**"),
        ("person", "registered_division", "110105", "11****"),
        ("person", "ethnicity", "01", "***"),
        ("assistance", "bank_account_no", "6222021234567890123", "***************0123"),
        ("death", "death_cause", "肺炎", "***"),
    ],
)
def test_mask_examples(d: dic.Dictionary, record: str, field: str, value: object, masked: str) -> None:
    assert dic.mask_value(d.field(record, field), value, "public") == masked


def test_mask_respects_clearance(d: dic.Dictionary) -> None:
    id_field, account = d.field("person", "id_number"), d.field("assistance", "bank_account_no")
    assert dic.mask_value(id_field, "11010519800101123X", "sensitive") == "11010519800101123X"
    assert dic.mask_value(id_field, "11010519800101123X", "secret") == "11010519800101123X"
    assert dic.mask_value(id_field, "11010519800101123X", "internal") == "110105********123X"
    assert dic.mask_value(id_field, "11010519800101123X", None) == "110105********123X"
    assert dic.mask_value(account, "6222021234567890123", "sensitive") != "6222021234567890123"
    assert dic.mask_value(d.field("household", "member_count"), 4, None) == 4
    assert dic.mask_value(id_field, None, "public") is None
    with pytest.raises(InputError):
        dic.mask_value(id_field, "11010519800101123X", "top-secret")


def test_mask_series_matches_mask_value_and_mask_frame(d: dic.Dictionary) -> None:
    names = pl.Series("name", ["张三", None, "李", "司马相如"])
    masked = dic.mask_series(d.field("person", "name"), names, "internal")
    assert masked.to_list() == [dic.mask_value(d.field("person", "name"), v, "internal") for v in names]
    assert masked.to_list() == ["张*", None, "*", "司***"]
    frame = pl.DataFrame(
        {"id_number": ["11010519800101123X"], "sex": ["1"], "phone": ["13812345678"], "other": ["x"]}
    )
    out = dic.mask_frame("person", frame, "internal")
    assert out.row(0) == ("110105********123X", "1", "138****5678", "x")
    assert dic.mask_frame("person", frame, "secret").equals(frame)


# --- validation of the dictionary file -----------------------------------------------------------


def _broken(tmp_path: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    raw = yaml.safe_load(dic.dictionary_path().read_text(encoding="utf-8"))
    edit(raw)
    path = tmp_path / "dictionary.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _field_of(raw: dict, record: str, name: str) -> dict:  # type: ignore[type-arg]
    return next(f for f in raw["records"][record]["fields"] if f["name"] == name)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda r: _field_of(r, "person", "sex").update(code_table="gender"), "code table 'gender'"),
        (lambda r: _field_of(r, "birth", "birth_weight").update(authority="police"), "unknown authority"),
        (lambda r: _field_of(r, "death", "death_date").update(type="datetime"), "unknown type"),
        (lambda r: _field_of(r, "person", "phone").update(sensitivity="private"), "unknown sensitivity"),
        (lambda r: _field_of(r, "person", "name").update(requried=True), "unknown keys"),
        (lambda r: _field_of(r, "person", "birth_date").update(code_table="sex"), "code_table given"),
        (
            lambda r: r["records"]["birth"]["fields"].append({**_field_of(r, "birth", "birth_date")}),
            "duplicate",
        ),
        (lambda r: r["records"]["death"].update(key=["no_such"]), "key"),
        (lambda r: r["records"]["death"].update(event_date="name"), "event_date"),
        (lambda r: r["records"]["death"].update(events=["funeral"]), "events"),
        (lambda r: r["records"]["marriage"].update(authority="police"), "unknown authority"),
    ],
)
def test_broken_dictionary_is_refused_naming_record_and_field(tmp_path: Path, edit, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError) as info:
        dic.load_dictionary(_broken(tmp_path, edit))
    assert message in info.value.line()
    assert "dictionary.yaml: record " in info.value.where


def test_error_names_the_field(tmp_path: Path) -> None:
    path = _broken(tmp_path, lambda r: _field_of(r, "schooling", "school_stage").update(code_table="stage"))
    with pytest.raises(ConfigError) as info:
        dic.load_dictionary(path)
    assert info.value.where.endswith("record schooling, field school_stage")


def test_duplicate_record_names_are_refused(tmp_path: Path) -> None:
    text = dic.dictionary_path().read_text(encoding="utf-8")
    start = text.index("  death:\n")
    end = text.index("  migration:\n")
    path = tmp_path / "dictionary.yaml"
    path.write_text(text + text[start:end], encoding="utf-8")
    with pytest.raises(ConfigError, match="duplicate name 'death'"):
        dic.load_dictionary(path)


def test_mask_accepts_field_names_and_matches_mask_id(d: dic.Dictionary) -> None:
    from padis.standards.idnumber import mask_id

    assert dic.mask_value("id_number", "11010519800101123X", "internal") == "110105********123X"
    assert dic.mask_value("assistance.bank_account_no", "6222021234567890123", "sensitive").endswith("0123")
    assert d.mask_value("name", "张三", "public") == "张*"
    assert d.mask_value("phone", "13812345678", "sensitive") == "13812345678"
    for value in ("11010519800101123X", "110105800101123", "1101051980", "110105", "1"):
        assert dic.mask_value("id_number", value, "public") == mask_id(value), value
    with pytest.raises(InputError):
        dic.mask_value("no_such_field", "x", "public")
