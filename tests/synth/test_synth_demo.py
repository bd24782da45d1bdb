"""The demo step generates the shared synthetic data and reports it."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from padis.demo import DemoContext
from padis.synth.demo import demo_step


def test_demo_step_writes_synth_dir(tmp_path: Path) -> None:
    ctx = DemoContext(
        workdir=tmp_path,
        persons=3_000,
        console=Console(quiet=True),
        database_url="sqlite://",
        synth_dir=tmp_path / "synth",
    )
    demo_step(ctx)
    assert ctx.state["synth_dir"] == tmp_path / "synth"
    assert (tmp_path / "synth" / "manifest.json").is_file()
    assert len(list((tmp_path / "synth" / "extracts").glob("*.parquet"))) == 13
    assert any(name.startswith("synth") for name, _ in ctx.summary)
