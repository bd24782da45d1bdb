"""Linkage fixtures: a small synthetic population with truth, a trained model, one shared Spark session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import polars as pl
import pytest

from padis.linkage import fakedata
from padis.linkage import model as mdl
from padis.linkage.settings import LinkSettings, person_settings


@pytest.fixture(scope="session")
def fake_records() -> tuple[pl.DataFrame, pl.DataFrame]:
    """(records, truth) for 1,500 persons seen by 3 sources with errors."""
    return fakedata.records(fakedata.persons(1500, seed=7), sources=3, seed=8)


@pytest.fixture(scope="session")
def link_settings() -> LinkSettings:
    """padis person settings with a small u sample (fast tests)."""
    s = person_settings()
    s.max_pairs_u = 1e5
    return s


@pytest.fixture(scope="session")
def trained(fake_records: tuple[pl.DataFrame, pl.DataFrame], link_settings: LinkSettings) -> mdl.LinkModel:
    """A model trained (EM, no labels) on the fake records."""
    prepared = mdl.prepare(fake_records[0], link_settings)
    return mdl.train(prepared, link_settings)


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local-mode Spark session for the whole run (skipped when pyspark or Java is missing)."""
    pytest.importorskip("pyspark")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PADIS_SPARK_PARTITIONS", "2")  # small test data: fewer, cheaper tasks
    from padis.linkage.engine import spark_session

    session = spark_session()
    yield session
    session.stop()
