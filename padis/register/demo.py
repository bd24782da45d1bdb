"""Demo step: the register before linkage — persons by identity number; golden records come next step.

In the demo the golden records are built from the Splink person ids (``padis.linkage``'s step links
every source record and hands the ids to the register, like ``padis link register``). Only when the
linkage package is absent or ``PADIS_RESOLVER=id_number`` is set does this step build them itself.
"""

from __future__ import annotations

import importlib.util
import os
from typing import Any

from sqlalchemy import Engine, text

from padis.register.identity import RESOLVER_ENV
from padis.register.service import rebuild_all
from padis.store.engine import get_engine


def persons_by_id_number(engine: Engine) -> int:
    """How many persons the identity-number resolver would make: distinct numbers among source records."""
    with engine.connect() as conn:
        sql = (
            "SELECT COUNT(*) FROM (SELECT id_number FROM source_record WHERE id_number IS NOT NULL "
            "UNION SELECT related_id_number FROM source_record WHERE related_id_number IS NOT NULL) k"
        )
        return int(conn.execute(text(sql)).scalar_one())


def report_register(ctx: Any, engine: Engine, stats: dict[str, int]) -> None:
    """Report persons, open conflicts and feed events of the built register."""
    with engine.connect() as conn:
        open_sql = "SELECT COUNT(*) FROM conflict WHERE status = 'open'"
        open_conflicts = conn.execute(text(open_sql)).scalar_one()
        by_type = conn.execute(
            text("SELECT event_type, COUNT(*) FROM change_feed GROUP BY event_type ORDER BY event_type")
        ).fetchall()
    ctx.state["register"] = stats
    ctx.report("register: persons / open conflicts", f"{stats['persons']:,} / {open_conflicts:,}")
    ctx.report("register: feed events", ", ".join(f"{t} {n:,}" for t, n in by_type) or "0")


def demo_step(ctx) -> None:  # type: ignore[no-untyped-def]
    """Count persons by identity number; build the golden records here only without linkage."""
    engine = get_engine(ctx.database_url)
    before = persons_by_id_number(engine)
    ctx.state["register_persons_by_id_number"] = before
    linkage = importlib.util.find_spec("padis.linkage.demo") is not None
    if linkage and os.environ.get(RESOLVER_ENV, "").strip().lower() != "id_number":
        ctx.state["register_deferred"] = True
        ctx.report("register: persons by ID number", f"{before:,} (golden records: from linkage, next step)")
        return
    report_register(ctx, engine, rebuild_all(engine))
