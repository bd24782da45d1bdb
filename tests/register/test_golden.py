"""Golden rows: provenance columns, incremental == full rebuild, fields from several records."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import Engine, inspect, text

from padis.collect.service import collect_file
from padis.register.golden import AGENCY_PRECEDENCE, GOLDEN_FIELDS, record_column
from padis.register.service import rebuild_all, show_person

from .conftest import write_csv


def _snapshot(engine: Engine) -> tuple[list[tuple], list[tuple]]:
    cols = ", ".join(("person_id", *GOLDEN_FIELDS, *(record_column(f) for f in GOLDEN_FIELDS), "status"))
    with engine.connect() as conn:
        persons = [tuple(r) for r in conn.execute(text(f"SELECT {cols} FROM person ORDER BY person_id"))]
        fields = [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT person_id, field, value, agency, record_id, as_of FROM person_field "
                    "ORDER BY person_id, field"
                )
            )
        ]
    return persons, fields


def test_every_golden_field_has_a_record_column(engine: Engine) -> None:
    columns = {c["name"] for c in inspect(engine).get_columns("person")}
    assert {record_column(f) for f in GOLDEN_FIELDS} <= columns


def test_fields_from_several_records_and_full_rebuild_agree(engine: Engine, tmp_path: Path, people) -> None:
    collect_file(engine, write_csv(tmp_path, "ps", people), "public_security", record="person")
    # Education is the authority for education; a later death report from health (no authority over
    # names) disagrees on a name: three records speak for person 0.
    edu = [{**people[0], "education": "20", "name": "王小伟"}]
    collect_file(engine, write_csv(tmp_path, "edu", edu), "education", record="person")
    dead = [{**people[2], "death_date": "2024-02-03"}]
    collect_file(engine, write_csv(tmp_path, "ca", dead), "civil_affairs", record="person")
    incremental = _snapshot(engine)

    shown = show_person(engine, people[0]["id_number"])
    by_field = {f["field"]: f for f in shown["fields"]}
    assert shown["person"]["name"] == "王伟" and by_field["name"]["agency"] == "public_security"
    assert shown["person"]["education"] == "20" and by_field["education"]["agency"] == "education"
    assert by_field["name"]["record_id"] != by_field["education"]["record_id"]
    deceased = show_person(engine, people[2]["id_number"])
    assert deceased["person"]["status"] == "deceased"
    assert {f["field"]: f["agency"] for f in deceased["fields"]}["death_date"] == "civil_affairs"

    rebuild_all(engine)
    assert _snapshot(engine) == incremental


def test_a_rebuild_rewrites_only_the_persons_that_changed(engine: Engine, tmp_path: Path, people) -> None:
    import datetime as dt

    collect_file(engine, write_csv(tmp_path, "ps", people), "public_security", record="person")
    stamp = dt.datetime(2001, 1, 1)
    with engine.begin() as conn:
        conn.execute(text("UPDATE person SET updated_at = :t"), {"t": stamp})
    before = _snapshot(engine)
    rebuild_all(engine)  # nothing new: no golden row is rewritten
    with engine.connect() as conn:
        untouched = conn.execute(
            text("SELECT COUNT(*) FROM person WHERE updated_at = :t"), {"t": stamp}
        ).scalar()
    assert _snapshot(engine) == before and untouched == len(before[0])
    edu = [{**people[1], "education": "20"}]  # the authority for education speaks about person 1 only
    collect_file(engine, write_csv(tmp_path, "edu", edu), "education", record="person")  # applied at once
    with engine.connect() as conn:
        changed = conn.execute(
            text("SELECT id_number, education FROM person WHERE updated_at <> :t"), {"t": stamp}
        ).all()
    assert [tuple(r) for r in changed] == [(people[1]["id_number"], "20")]


def test_docs_state_the_precedence_the_code_uses() -> None:
    """docs/register.md lists AGENCY_PRECEDENCE in the order the golden-record rule applies it."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "register.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\s+\d+\. `(\w+)`$", doc, flags=re.M)
    assert tuple(listed) == AGENCY_PRECEDENCE


def test_birth_date_and_sex_from_the_identity_number_when_no_record_gives_them(
    engine: Engine, tmp_path: Path, people
) -> None:
    # social insurance sends the number and the name only
    only = [
        {
            "id_number": people[1]["id_number"],
            "name": people[1]["name"],
            "insurance_type": "110",
            "status": "1",
            "start_date": "2010-01-01",
        }
    ]
    collect_file(engine, write_csv(tmp_path, "hrss", only), "hrss", record="insurance")
    shown = show_person(engine, people[1]["id_number"])
    by_field = {f["field"]: f for f in shown["fields"]}
    assert str(shown["person"]["birth_date"]) == people[1]["birth_date"] and shown["person"]["sex"] == "2"
    assert by_field["birth_date"]["record_id"] == by_field["id_number"]["record_id"]
    assert (
        by_field["birth_date"]["derived"] and by_field["sex"]["derived"] and not by_field["name"]["derived"]
    )
    # an agency that does give them wins over the derivation; no conflict arises from the number
    collect_file(engine, write_csv(tmp_path, "ps", people), "public_security", record="person")
    shown = show_person(engine, people[1]["id_number"])
    assert {f["field"]: f["agency"] for f in shown["fields"]}["birth_date"] == "public_security"
    assert not {f["field"]: f["derived"] for f in shown["fields"]}["birth_date"]
    with engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT COUNT(*) FROM conflict WHERE field IN ('birth_date', 'sex')")
            ).scalar_one()
            == 0
        )
