"""A small, known register and set of members/users for tests, the demo and the benchmark."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl
from sqlalchemy import Engine

from padis.exchange.agreements import add_agreement
from padis.exchange.members import add_member
from padis.exchange.seed import seed_persons
from padis.security.users import add_user
from padis.standards.idnumber import make_id

# Two counties in Beijing (110105 Chaoyang, 110108 Haidian) and one in Zhejiang (330102).
DIVISIONS = ("110105", "110108", "330102")
SURNAMES = "王李张刘陈杨赵黄周吴"
GIVEN = ("伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇")
PASSWORD = "correct horse 9"


@dataclass
class World:
    """What ``build_world`` made: persons, members with secrets, users."""

    persons: pl.DataFrame
    secrets: dict[str, str] = field(default_factory=dict)
    agreements: dict[str, int] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)


def make_persons(n: int, *, start_id: int = 1, seed: int = 7) -> pl.DataFrame:
    """``n`` synthetic persons with valid ID numbers spread over ``DIVISIONS``; columnar."""
    import numpy as np

    rng = np.random.default_rng(seed)
    ids = np.arange(start_id, start_id + n, dtype=np.int64)
    div_idx = rng.integers(0, len(DIVISIONS), n)
    days = rng.integers(0, 365 * 80, n)
    births = [dt.date(1940, 1, 1) + dt.timedelta(days=int(d)) for d in days]
    seqs = (ids % 1000).astype(int)
    divs = [DIVISIONS[i] for i in div_idx]
    id_numbers = [make_id(d, b, int(s)) for d, b, s in zip(divs, births, seqs, strict=True)]
    names = [
        SURNAMES[int(a)] + GIVEN[int(b)]
        for a, b in zip(rng.integers(0, 10, n), rng.integers(0, 10, n), strict=True)
    ]
    frame = pl.DataFrame(
        {
            "person_id": ids,
            "id_number": id_numbers,
            "name": names,
            "sex": ["1" if s % 2 else "2" for s in seqs],
            "birth_date": births,
            "ethnicity": "01",
            "education": "21",
            "marital_status": "20",
            "hukou_type": "1",
            "registered_division": divs,
            "residence_division": divs,
            "status": "active",
        }
    )
    return frame.unique("id_number", keep="first", maintain_order=True)


def build_world(engine: Engine, n_persons: int = 60) -> World:
    """Seed persons, three members with agreements, and one user per role."""
    persons = make_persons(n_persons)
    seed_persons(engine, persons)
    world = World(persons)
    specs = {
        # client: (agency, services, fields, purposes, divisions)
        "civil_affairs_bj": (
            "civil_affairs",
            ["query", "verify", "mutual_verify", "supplement", "update", "subscribe"],
            ["id_number", "name", "sex", "birth_date", "marital_status", "death_date", "registered_division"],
            ["social_assistance"],
            ["110000"],
        ),
        "health_cy": (
            "health",
            ["query", "verify"],
            ["id_number", "name", "birth_date"],
            ["medical_insurance"],
            ["110105"],
        ),
        "education_zj": (
            "education",
            ["query", "supplement", "update"],
            ["id_number", "name", "education"],
            ["school_enrolment"],
            ["330000"],
        ),
    }
    for client, (agency, services, fields, purposes, divisions) in specs.items():
        _, secret = add_member(engine, client, agency, rate_limit=None)
        world.secrets[client] = secret
        world.agreements[client] = add_agreement(
            engine,
            client,
            services=services,
            fields=fields,
            purposes=purposes,
            divisions=divisions,
            legal_basis="test agreement",
        )
    users = {
        "admin": ("administrator", None),
        "steward": ("data_steward", None),
        "county": ("county_staff", "110105"),
        "township": ("township_staff", "110108"),
        "analyst": ("analyst", None),
        "auditor": ("auditor", None),
    }
    for name, (role, division) in users.items():
        add_user(engine, name, PASSWORD, role, division=division)
        world.users[name] = role
    return world
