"""The register: golden records by authority, conflicts never overwrite, life events in the feed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, text

from padis.collect.service import collect_file
from padis.errors import InputError
from padis.register import identity
from padis.register.conflicts import export_discrepancies, list_conflicts, resolve_conflict
from padis.register.feed import read_feed
from padis.register.service import person_history, rebuild_all, show_person
from padis.standards.idnumber import make_id

from .conftest import write_csv


def _golden(engine: Engine, id_number: str) -> dict[str, object]:
    return show_person(engine, id_number)["person"]


def _collect(engine: Engine, tmp: Path, name: str, agency: str, record: str, rows: list[dict[str, str]]):
    return collect_file(engine, write_csv(tmp, name, rows), agency, record=record)


def test_authoritative_value_wins_and_conflict_is_queued(engine: Engine, tmp_path: Path, people) -> None:
    _collect(engine, tmp_path, "ps", "public_security", "person", people)
    # Education (not the authority for names) later sends a different name for person 0.
    other = [{**people[0], "name": "王小伟", "education": "20"}]
    report = _collect(engine, tmp_path, "edu", "education", "person", other)
    assert report.register["new_conflicts"] == 1
    golden = _golden(engine, people[0]["id_number"])
    assert golden["name"] == "王伟"  # public security is authoritative for names
    assert golden["education"] == "20"  # education is authoritative for education
    open_ = list_conflicts(engine)
    assert [(c["field"], c["golden_value"], c["other_value"], c["other_agency"]) for c in open_] == [
        ("name", "王伟", "王小伟", "education")
    ]
    # The same disagreement again does not queue a second conflict.
    _collect(engine, tmp_path, "edu2", "education", "person", [{**other[0], "hukou_type": "20"}])
    assert len(list_conflicts(engine, field="name")) == 1


def test_authority_arriving_later_still_wins(engine: Engine, tmp_path: Path, people) -> None:
    _collect(engine, tmp_path, "pfp", "pfp", "person", [{**people[1], "name": "李娜娜"}])
    assert _golden(engine, people[1]["id_number"])["name"] == "李娜娜"  # only source so far
    _collect(engine, tmp_path, "ps", "public_security", "person", people)
    assert _golden(engine, people[1]["id_number"])["name"] == "李娜"
    fields = {f["field"]: f for f in show_person(engine, people[1]["id_number"])["fields"]}
    assert fields["name"]["agency"] == "public_security" and fields["name"]["record_id"] is not None


def test_resolve_accept_reject_return(engine: Engine, tmp_path: Path, people) -> None:
    _collect(engine, tmp_path, "ps", "public_security", "person", people)
    _collect(
        engine,
        tmp_path,
        "hrss",
        "hrss",
        "person",
        [{**people[0], "name": "王二"}, {**people[1], "name": "李四"}, {**people[2], "name": "张三"}],
    )
    ids = {c["other_value"]: c["conflict_id"] for c in list_conflicts(engine)}
    resolve_conflict(engine, ids["王二"], "accept", note="checked at the police station")
    resolve_conflict(engine, ids["李四"], "reject")
    resolve_conflict(engine, ids["张三"], "return")
    assert _golden(engine, people[0]["id_number"])["name"] == "王二"
    assert _golden(engine, people[1]["id_number"])["name"] == "李娜"
    assert list_conflicts(engine) == []
    out = tmp_path / "hrss.csv"
    assert export_discrepancies(engine, "hrss", out) == 1
    exported = pl.read_csv(out)
    assert exported["your_value"].to_list() == ["张三"] and exported["register_value"].to_list() == ["张强"]
    with pytest.raises(InputError):
        resolve_conflict(engine, ids["张三"], "accept")


def test_life_events_update_register_and_feed(engine: Engine, tmp_path: Path, people) -> None:
    _collect(engine, tmp_path, "ps", "public_security", "person", people)
    death = [
        {
            "id_number": people[2]["id_number"],
            "name": "张强",
            "death_date": "2024-03-01",
            "death_place_division": "110101",
        }
    ]
    r = _collect(engine, tmp_path, "death", "civil_affairs", "death", death)
    assert r.register["events"] == 1
    marriage = [
        {
            "certificate_no": "J110101-2024-1",
            "registration_type": "1",
            "registration_date": "2024-05-20",
            "registration_division": "110101",
            "husband_id_number": people[0]["id_number"],
            "husband_name": "王伟",
            "wife_id_number": people[1]["id_number"],
            "wife_name": "李娜",
        }
    ]
    _collect(engine, tmp_path, "marriage", "civil_affairs", "marriage", marriage)
    move = [
        {
            "id_number": people[1]["id_number"],
            "name": "李娜",
            "migration_kind": "1",
            "from_division": "110101",
            "to_division": "110102",
            "move_date": "2024-06-01",
        }
    ]
    _collect(engine, tmp_path, "move", "pfp", "migration", move)
    dead = _golden(engine, people[2]["id_number"])
    assert dead["status"] == "deceased" and str(dead["death_date"]) == "2024-03-01"
    assert _golden(engine, people[0]["id_number"])["marital_status"] == "20"
    wife = _golden(engine, people[1]["id_number"])
    assert wife["marital_status"] == "20" and wife["residence_division"] == "110102"
    events = read_feed(engine, 0, 100)
    assert [e.event_type for e in events] == ["death", "marriage", "move"]
    assert [e.seq for e in events] == sorted(e.seq for e in events) and len({e.event_id for e in events}) == 3
    assert read_feed(engine, events[0].seq, 100)[0].event_type == "marriage"
    assert [e.event_type for e in read_feed(engine, 0, 10, event_types=["move"])] == ["move"]
    assert len(read_feed(engine, 0, 10, divisions=["110000"])) == 3
    assert read_feed(engine, 0, 10, divisions=["310000"]) == []
    # History shows who said what.
    history = person_history(engine, people[1]["id_number"])
    assert {h["agency"] for h in history} == {"public_security", "civil_affairs", "pfp"}
    # A full rebuild gives the same golden records and writes no duplicate events.
    before = _golden(engine, people[1]["id_number"])
    rebuild_all(engine)
    after = _golden(engine, people[1]["id_number"])
    assert {k: v for k, v in after.items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"
    }
    assert len(read_feed(engine, 0, 100)) == 3


def test_a_life_event_record_sent_again_makes_no_second_event(engine: Engine, tmp_path: Path, people) -> None:
    _collect(engine, tmp_path, "ps", "public_security", "person", people)
    births = [
        {  # a newborn's certificate: no identity number yet, so no person until linkage places it
            "birth_certificate_no": "O110101-2024-7",
            "child_name": "王小明",
            "child_sex": "1",
            "birth_date": "2024-02-03",
            "birth_place_division": "110101",
            "mother_id_number": people[1]["id_number"],
            "mother_name": "李娜",
        },
        {  # a certificate whose child already has a number (and so a person)
            "birth_certificate_no": "O110101-2024-8",
            "child_name": "王小红",
            "child_sex": "2",
            "child_id_number": make_id("110101", dt.date(2024, 3, 4), 22),
            "birth_date": "2024-03-04",
            "birth_place_division": "110101",
            "mother_id_number": people[1]["id_number"],
            "mother_name": "李娜",
        },
    ]
    first = _collect(engine, tmp_path / "jan", "births", "health", "birth", births)
    assert first.register["events"] == 2
    # The same two certificates again, in a cumulative export with one new certificate, re-encoded.
    later = [*births, {**births[0], "birth_certificate_no": "O110101-2024-9", "child_name": "王小刚"}]
    path = write_csv(tmp_path / "feb", "births", later)
    gbk = path.with_name("births_gbk.csv")
    gbk.write_bytes(path.read_text(encoding="utf-8").encode("gb18030"))
    second = collect_file(engine, gbk, "health", record="birth")
    assert second.rows_stored == 3  # source records are append-only: the copies are kept
    assert second.register["events"] == 1
    births_in_feed = read_feed(engine, 0, 100, event_types=["birth"])
    assert sorted(e.payload["source_key"] for e in births_in_feed) == [
        "O110101-2024-7",
        "O110101-2024-8",
        "O110101-2024-9",
    ]
    rebuild_all(engine)
    assert len(read_feed(engine, 0, 100, event_types=["birth"])) == 3


def test_person_ids_come_through_the_resolver_seam(engine: Engine, tmp_path: Path, people) -> None:
    calls = []

    class Fixed:
        def resolve(self, engine_, records: pl.DataFrame) -> pl.DataFrame:
            calls.append(records.height)
            return records.select("record_id", (pl.col("record_id") + 1000).alias("person_id"))

    assert isinstance(Fixed(), identity.PersonResolver)
    previous = identity.set_resolver(Fixed())
    try:
        _collect(engine, tmp_path, "ps", "public_security", "person", people)
    finally:
        identity.set_resolver(previous)
    assert calls == [3]
    with engine.connect() as conn:
        ids = sorted(r[0] for r in conn.execute(text("SELECT person_id FROM person")))
    assert ids == [1001, 1002, 1003]


def test_records_without_an_id_number_are_offered_to_the_resolver(
    engine: Engine, tmp_path: Path, people
) -> None:
    offered: list[pl.DataFrame] = []

    class ByName:
        """Places the newborn by name alone (as a probabilistic resolver may, with no ID number)."""

        def resolve(self, engine_, records: pl.DataFrame) -> pl.DataFrame:
            offered.append(records)
            return records.filter((pl.col("name") == "王小宝") & pl.col("id_number").is_null()).select(
                "record_id", person_id=pl.lit(600, pl.Int64)
            )

    birth = {
        "birth_certificate_no": "Q110000001",
        "child_name": "王小宝",
        "child_sex": "1",
        "birth_date": "2024-03-05",
        "birth_place_division": "110101",
        "mother_id_number": people[1]["id_number"],
        "mother_name": people[1]["name"],
    }
    previous = identity.set_resolver(ByName())
    try:
        report = _collect(engine, tmp_path, "births", "health", "birth", [birth])
    finally:
        identity.set_resolver(previous)
    subject, mother = offered
    assert subject["id_number"].to_list() == [None] and subject["name"].to_list() == ["王小宝"]
    # the mother is asked about by her number alone: the record's name, sex and birth date are the child's
    assert mother["id_number"].to_list() == [people[1]["id_number"]]
    assert mother.select("name", "sex", "birth_date").null_count().row(0) == (1, 1, 1)
    assert report.register["linked"] == 1
    with engine.connect() as conn:
        assert conn.execute(text("SELECT person_id, name, sex FROM person")).all() == [(600, "王小宝", "1")]


def test_settle_many_conflicts_at_once(engine: Engine, tmp_path: Path, people, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`padis register conflicts --all --agency A --return` returns every open one of that agency."""
    from typer.testing import CliRunner

    from padis.cli import app
    from padis.settings import get_settings
    from padis.store.engine import get_engine

    _collect(engine, tmp_path, "ps", "public_security", "person", people)
    renamed = [{**p, "name": p["name"] + "某"} for p in people]
    _collect(engine, tmp_path, "hrss", "hrss", "person", renamed)
    _collect(engine, tmp_path, "edu", "education", "person", [{**people[0], "name": "王某某"}])
    assert len(list_conflicts(engine)) == 4
    monkeypatch.setenv("PADIS_DATABASE_URL", str(engine.url.render_as_string(hide_password=False)))
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        runner = CliRunner()
        refused = runner.invoke(app, ["register", "conflicts", "--all", "--return"])
        assert refused.exit_code == 2 and "--field and/or --agency" in refused.output
        accept_all = runner.invoke(app, ["register", "conflicts", "--all", "--agency", "hrss", "--accept"])
        assert accept_all.exit_code == 2 and len(list_conflicts(engine)) == 4
        done = runner.invoke(
            app, ["register", "conflicts", "--all", "--agency", "hrss", "--return", "--note", "核实"]
        )
        assert done.exit_code == 0, done.output
        assert "3 conflicts (3 persons): return" in done.output
    finally:
        get_engine.cache_clear()
        get_settings.cache_clear()
    left = list_conflicts(engine)
    assert [(c["other_agency"], c["other_value"]) for c in left] == [("education", "王某某")]
    returned = list_conflicts(engine, status="returned")
    assert len(returned) == 3 and {c["note"] for c in returned} == {"核实"}
    assert {str(c["resolved_by"]).startswith("cli") for c in returned} == {True}
    assert _golden(engine, people[0]["id_number"])["name"] == "王伟"  # nothing overwritten


def test_reassigned_records_merge_persons(engine: Engine, tmp_path: Path, people) -> None:
    """A relink after clerical review moves records: the person left without records is merged away."""
    from padis.register.service import reassign

    _collect(engine, tmp_path, "ps", "public_security", "person", people)
    # civil affairs keyed 张强's number wrongly (still a valid number): the register first sees a stranger
    typo = make_id("110101", dt.date(1950, 1, 2), 31)
    death = [
        {"id_number": typo, "name": "张强", "death_date": "2024-03-01", "death_place_division": "110101"}
    ]
    _collect(engine, tmp_path, "death", "civil_affairs", "death", death)
    with engine.connect() as conn:
        stranger = conn.execute(
            text("SELECT person_id FROM person WHERE id_number = :i"), {"i": typo}
        ).scalar_one()
        record = conn.execute(
            text("SELECT record_id FROM source_record WHERE person_id = :p"), {"p": stranger}
        ).scalar_one()
        zhang = conn.execute(
            text("SELECT person_id FROM person WHERE id_number = :i"), {"i": people[2]["id_number"]}
        ).scalar_one()
    assert _golden(engine, people[2]["id_number"])["death_date"] is None

    stats = reassign(engine, pl.DataFrame({"record_id": [record], "person_id": [zhang]}))

    assert stats["merged"] == 1
    golden = _golden(engine, people[2]["id_number"])
    assert str(golden["death_date"]) == "2024-03-01" and golden["id_number"] == people[2]["id_number"]
    with engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT COUNT(*) FROM person WHERE person_id = :p"), {"p": stranger}
            ).scalar_one()
            == 0
        )
        # the mistyped number disagrees with public security's: a conflict for staff, not an overwrite
        fields = {
            r[0] for r in conn.execute(text("SELECT field FROM conflict WHERE person_id = :p"), {"p": zhang})
        }
    assert "id_number" in fields
    merge = [e for e in read_feed(engine) if e.event_type == "merge"]
    assert [(e.person_id, e.payload["merged_into"]) for e in merge] == [(stranger, zhang)]
    # parted again (a rejected pair): the record goes to a new person; nobody is merged away
    again = reassign(engine, pl.DataFrame({"record_id": [record], "person_id": [stranger + 1000]}))
    assert again["merged"] == 0
    assert _golden(engine, people[2]["id_number"])["death_date"] is None
    assert str(_golden(engine, typo)["death_date"]) == "2024-03-01"
