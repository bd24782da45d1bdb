"""Demo step: build the register from every collected batch; report persons, conflicts, feed events."""

from __future__ import annotations

from sqlalchemy import text

from padis.register.service import rebuild_all
from padis.store.engine import get_engine


def demo_step(ctx) -> None:  # type: ignore[no-untyped-def]
    """Resolve identities, rebuild golden records, write life events to the change feed."""
    engine = get_engine(ctx.database_url)
    stats = rebuild_all(engine)
    with engine.connect() as conn:
        open_sql = "SELECT COUNT(*) FROM conflict WHERE status = 'open'"
        open_conflicts = conn.execute(text(open_sql)).scalar_one()
        by_type = conn.execute(
            text("SELECT event_type, COUNT(*) FROM change_feed GROUP BY event_type ORDER BY event_type")
        ).fetchall()
    ctx.state["register"] = stats
    ctx.report("register: persons / open conflicts", f"{stats['persons']:,} / {open_conflicts:,}")
    ctx.report("register: feed events", ", ".join(f"{t} {n:,}" for t, n in by_type) or "0")
