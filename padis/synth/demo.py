"""Demo step: generate the synthetic data every later step uses."""

from __future__ import annotations

from padis.synth.generate import SynthConfig, generate


def demo_step(ctx) -> None:  # type: ignore[no-untyped-def]
    """Generate ctx.persons persons in Beijing and Hebei over 2022-2024 into ctx.synth_dir."""
    config = SynthConfig(
        out=ctx.synth_dir, persons=ctx.persons, provinces=["11", "13"], years=(2022, 2024), seed=7
    )
    result = generate(config)
    ctx.state["synth_dir"] = ctx.synth_dir
    for name, count in result.row_counts.items():
        ctx.console.print(f"  {name}: {count:,}")
    total = sum(result.row_counts.values())
    ctx.report("synth: persons / events", f"{result.persons:,} / {result.events:,}")
    ctx.report(
        f"synth: extract rows ({len(result.row_counts)} extracts)",
        f"{total:,} ({result.errors:,} injected errors)",
    )
