"""Clerical review queue and the register resolver, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from sqlalchemy import Engine, func, select

from padis.linkage import review
from padis.linkage.cluster import cluster
from padis.linkage.models import LinkagePerson
from padis.linkage.resolver import SplinkResolver


def _pairs() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "source_l": ["a", "b", "a"],
            "record_id_l": ["1", "9", "3"],
            "source_r": ["a", "a", "a"],
            "record_id_r": ["2", "5", "4"],
            "match_probability": [0.5, 0.6, 0.95],
            "match_weight": [0.0, 0.5, 4.0],
            "gamma_name": [3, 0, 5],
            "mw_name": [2.5, -3.0, 6.0],
        }
    )


def test_queue_decide_and_never_propose_again(engine: Engine, trained) -> None:  # type: ignore[no-untyped-def]
    added = review.queue(engine, _pairs(), trained, 0.3, 0.9)
    assert added == 2  # the 0.95 pair is a link, not a question
    rows = review.list_reviews(engine)
    assert [r["match_probability"] for r in rows] == [0.6, 0.5]
    first = rows[0]
    assert first["left"] == "a|5" and first["right"] == "b|9"  # one canonical spelling
    assert "name" in first["detail"] and first["detail"]["name"]["weight"] == -3.0
    review.decide(engine, int(first["review_id"]), accept=False, decided_by="clerk1")
    review.decide(engine, int(rows[1]["review_id"]), accept=True, decided_by="clerk2")
    assert review.queue(engine, _pairs(), trained, 0.3, 0.9) == 0
    assert review.list_reviews(engine, "rejected")[0]["decided_by"] == "clerk1"
    must, cannot = review.decided_pairs(engine)
    assert must.rows() == [("a|1", "a|2")] and cannot.rows() == [("a|5", "b|9")]
    prepared = pl.DataFrame(
        {"unique_id": [0, 1, 2, 3], "__src": ["a", "a", "a", "b"], "__rid": ["1", "2", "5", "9"]}
    )
    scored = pl.DataFrame({"unique_id_l": [2], "unique_id_r": [3], "match_probability": [0.99]})
    out = dict(
        cluster(
            prepared,
            scored,
            0.9,
            must_link=review.to_unique_ids(must, prepared),
            cannot_link=review.to_unique_ids(cannot, prepared),
        ).iter_rows()
    )
    assert out[0] == out[1]  # accepted pair links
    assert out[2] != out[3]  # rejected pair never links, even scored at 0.99


def test_splink_resolver(engine: Engine, tmp_path: Path, fake_records) -> None:  # type: ignore[no-untyped-def]
    records, truth = fake_records
    frame = (
        records.drop("record_id")
        .with_row_index("record_id", offset=1)
        .select(
            pl.col("record_id").cast(pl.Int64),
            "id_number",
            "name",
            "sex",
            "birth_date",
            pl.col("division").alias("registered_division"),
        )
    )
    resolver = SplinkResolver(tmp_path / "state")
    first = resolver.resolve(engine, frame.head(2500))
    assert first.columns == ["record_id", "person_id"] and first.height == 2500
    second = resolver.resolve(engine, frame.slice(2500, 500))
    assert second.height == 500
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(LinkagePerson)).scalar_one()
    assert stored == 3000
    # Records of the same true person mostly share a person id across the two calls.
    both = pl.concat([first, second]).join(
        frame.select("record_id").with_columns(truth["person_id"].head(frame.height).alias("t")),
        on="record_id",
    )
    purity = both.group_by("person_id").agg(pl.col("t").n_unique().alias("k"))["k"].max()
    assert purity == 1
    # The second party of linked records: answered by the person holding that valid number.
    target = frame.filter(pl.col("record_id") == 10).select("id_number").item()
    person_of_target = first.filter(pl.col("record_id") == 10)["person_id"].item()
    query = frame.filter(pl.col("record_id").is_in([20, 21])).with_columns(
        pl.Series("id_number", [target, "11010519491231002X"])
    )
    related = resolver.resolve(engine, query)
    assert related.rows() == [(20, person_of_target)] or target is None


def test_dedupe_honours_rejection(
    engine: Engine, tmp_path: Path, fake_records, link_settings, trained
) -> None:  # type: ignore[no-untyped-def]
    """A rejected pair stays apart in the next run even though the model links it."""
    from padis.linkage.service import dedupe

    records, _ = fake_records
    path = tmp_path / "people.parquet"
    records.head(3000).write_parquet(path)
    first = dedupe(path, link_settings, review_db=engine, model_dir=None)
    linked = first.keyed_pairs(0.99).row(0, named=True)
    pair = review.canonical(pl.DataFrame([linked]).with_columns(pl.lit("x").alias("detail")))
    review.queue(engine, pair.with_columns(pl.lit(0.5).alias("match_probability")), trained, 0.1, 0.9)
    rid = next(
        r["review_id"]
        for r in review.list_reviews(engine, limit=1000)
        if r["left"] == f"{pair['source_l'][0]}|{pair['record_id_l'][0]}"
        and r["right"] == f"{pair['source_r'][0]}|{pair['record_id_r'][0]}"
    )
    review.decide(engine, int(rid), accept=False, decided_by="clerk")
    second = dedupe(path, link_settings, review_db=engine).keyed_clusters()
    ids = dict(zip(second["source"] + "|" + second["record_id"], second["cluster_id"], strict=True))
    assert (
        ids[f"{linked['source_l']}|{linked['record_id_l']}"]
        != ids[f"{linked['source_r']}|{linked['record_id_r']}"]
    )


def test_relink_joins_and_parts_persons_under_decisions(
    tmp_path: Path, fake_records, link_settings, trained
) -> None:  # type: ignore[no-untyped-def]
    """Accepted pairs join two persons, rejected ones part them again; every other person keeps its id."""
    from padis.linkage import model as mdl
    from padis.linkage.incremental import link_full, relink

    records, _ = fake_records
    prepared = mdl.prepare(records.head(1500), link_settings)
    state, _ = link_full(tmp_path / "state", prepared, link_settings, model=trained)
    ids = state.records.select(
        (pl.col("__src") + "|" + pl.col("__rid")).alias("key"), pl.col("id_number__valid").alias("valid")
    ).join(state.persons, on="key")
    # two persons, one of them known by a record without a valid number (no two numbers clash)
    left = ids.filter(~pl.col("valid")).row(0, named=True)
    right = ids.filter(pl.col("person_id") != left["person_id"]).row(0, named=True)
    pair = pl.DataFrame({"key_l": [left["key"]], "key_r": [right["key"]]})

    joined, moved = relink(state, must_link=pair)
    after = dict(joined.persons.iter_rows())
    assert after[left["key"]] == after[right["key"]]
    assert moved.height >= 1 and set(moved["key"]) <= set(
        ids.filter(pl.col("person_id").is_in([left["person_id"], right["person_id"]]))["key"]
    )
    untouched = ids.filter(~pl.col("person_id").is_in([left["person_id"], right["person_id"]]))
    assert all(after[k] == p for k, p in untouched.select("key", "person_id").iter_rows())

    parted, _ = relink(joined, cannot_link=pair)
    again = dict(parted.persons.iter_rows())
    assert again[left["key"]] != again[right["key"]]


def test_scored_pairs_say_which_level_each_comparison_reached(fake_records, link_settings, trained) -> None:  # type: ignore[no-untyped-def]
    """The review queue shows the evidence per comparison (Splink 5 drops the comparison vector)."""
    from padis.linkage import model as mdl

    records = fake_records[0]
    sample = records.filter(pl.col("record_id").str.extract(r"-(\d+)$").cast(pl.Int64) < 250)
    prepared = mdl.prepare(sample, link_settings)
    pairs = mdl.predict(prepared, trained)
    detail = [json.loads(d) for d in review.details(pairs, trained).to_list()]
    assert pairs.height and all(set(d) == set(trained.params["comparisons"]) for d in detail)
    labels = {d["id_number"]["level"] for d in detail}
    assert any("exact" in label for label in labels)
    # a pair agreeing exactly on the number carries that level's weight, log2(m/u) of the level
    exact = next(d for d in detail if "exact" in d["id_number"]["level"])
    assert exact["id_number"]["weight"] > 5
