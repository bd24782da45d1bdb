"""Demo step: migrate the database and collect every synthetic agency extract."""

from __future__ import annotations

from pathlib import Path

from padis.collect.service import collect_file
from padis.store.engine import get_engine
from padis.store.migrate import upgrade


def demo_step(ctx) -> None:  # type: ignore[no-untyped-def]
    """``padis db upgrade``, then ``padis collect`` each DIR/extracts/* with its DIR/mappings/*.yaml."""
    engine = get_engine(ctx.database_url)
    upgrade(engine)
    synth_dir = Path(ctx.state.get("synth_dir", ctx.synth_dir))
    extracts = sorted((synth_dir / "extracts").glob("*.*"))
    # The register is built once at the end (padis.register's step): quicker than per batch.
    totals = {"files": 0, "read": 0, "stored": 0, "quarantined": 0}
    reasons: dict[str, int] = {}
    for path in extracts:
        agency = path.stem.split("__", 1)[0]
        report = collect_file(engine, path, agency, apply=False)
        totals["files"] += 1
        totals["read"] += report.rows_read
        totals["stored"] += report.rows_stored
        totals["quarantined"] += report.rows_quarantined
        for reason, n in report.by_reason.items():
            reasons[reason] = reasons.get(reason, 0) + n
        ctx.console.print(
            f"  {path.name}: read {report.rows_read:,}, stored {report.rows_stored:,}, "
            f"quarantined {report.rows_quarantined:,}"
        )
    top = ", ".join(f"{r} {n:,}" for r, n in sorted(reasons.items(), key=lambda kv: -kv[1])[:3])
    ctx.state["collect_totals"] = totals
    ctx.report(
        f"collect: {totals['files']} files, rows read / stored / quarantined",
        f"{totals['read']:,} / {totals['stored']:,} / {totals['quarantined']:,}",
    )
    if top:
        ctx.report("collect: top quarantine reasons", top)
    from padis.collect.quarantine_xlsx import MAX_EXPORT_ROWS, export_workbook

    if 0 < totals["quarantined"] <= MAX_EXPORT_ROWS:
        book = ctx.workdir / "quarantine.xlsx"
        sheets = export_workbook(engine, book)
        ctx.report(
            "collect: quarantined rows to correct in Excel",
            f"{book} ({sum(sheets.values()):,} rows, {len(sheets)} sheets; padis quarantine import reads it)",
        )
