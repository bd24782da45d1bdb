"""``padis demo``: the whole flow as it stands, each domain adding its step."""

from __future__ import annotations

import os
import shlex
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from padis.domains import domain_modules


@dataclass
class DemoContext:
    """What the demo steps share: the work folder, the database, the synthetic data, a summary."""

    workdir: Path
    persons: int
    console: Console
    database_url: str
    synth_dir: Path
    open_browser: bool = False
    summary: list[tuple[str, str]] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)

    def report(self, step: str, result: str) -> None:
        """Add one line to the summary printed at the end."""
        self.summary.append((step, result))


def demo_steps() -> list[tuple[str, Any]]:
    """Every domain's ``demo.demo_step`` in domain order."""
    return [(domain, module.demo_step) for domain, module in domain_modules("demo")]


def run_demo(workdir: str, persons: int, open_browser: bool = False) -> int:
    """Run every step against a fresh embedded database in ``workdir``; return the exit code."""
    console = Console()
    root = Path(workdir).resolve()
    root.mkdir(parents=True, exist_ok=True)
    db_path = root / "padis.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{db_path}"
    os.environ["PADIS_DATABASE_URL"] = url
    os.environ.setdefault("PADIS_HOME", str(root))
    from padis.settings import get_settings

    get_settings.cache_clear()
    ctx = DemoContext(
        workdir=root,
        persons=persons,
        console=console,
        database_url=url,
        synth_dir=root / "synth",
        open_browser=open_browser,
    )
    console.rule("[bold]padis demo")
    for domain, step in demo_steps():
        start = time.perf_counter()
        console.rule(f"[cyan]{domain}")
        step(ctx)
        ctx.report(f"{domain} (s)", f"{time.perf_counter() - start:.1f}")
    table = Table(title="padis demo — summary", show_lines=False)
    table.add_column("step")
    table.add_column("result")
    for step_name, result in ctx.summary:
        table.add_row(step_name, result)
    console.print(table)
    console.print(
        f"Explore it in the browser: [bold]{serve_command(root)}[/], then http://127.0.0.1:8000/ "
        "(data steward demo_steward, password demo-password-2)."
    )
    return 0


def serve_command(root: Path) -> str:
    """The command that serves the demo's register (its home and database), ready to paste."""
    home = Path(os.environ.get("PADIS_HOME", str(root))).resolve()
    env = f"PADIS_HOME={shlex.quote(str(home))}"
    if home != root:  # the demo's database is not the one that home would default to
        env += f" PADIS_DATABASE_URL={shlex.quote('sqlite:///' + str(root / 'padis.db'))}"
    return f"{env} padis serve"
