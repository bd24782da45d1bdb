"""``padis synth``: generate a synthetic population with agency extracts and ground truth."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

STAGES = ("population", "events", "world", "truth", "extracts", "errors", "write_extracts")


def synth(
    persons: int = typer.Option(100_000, "--persons", help="Number of persons in the base population."),
    provinces: str = typer.Option(
        "all",
        "--provinces",
        help="Comma-separated two-digit GB/T 2260 province codes, e.g. 11,13 (default all).",
    ),
    years: str = typer.Option("2021-2025", "--years", help="Years of life events, Y0-Y1."),
    seed: int = typer.Option(1, "--seed", help="Random seed: the same seed gives the same bytes."),
    out: Path = typer.Option(
        ..., "--out", help="Output folder (extracts/, mappings/, truth/, manifest.json)."
    ),
    fmt: str = typer.Option("parquet", "--format", help="Extract format: parquet, csv or xlsx."),
    encoding: str = typer.Option("utf-8", "--encoding", help="CSV encoding: utf-8 or gbk."),
    error_rate: list[str] = typer.Option(
        [], "--error-rate", help="Override one error rate, TYPE=RATE (repeatable), e.g. name_homophone=0.02."
    ),
    errors_config: Path | None = typer.Option(
        None, "--errors-config", help="YAML file mapping error types to rates."
    ),
) -> None:
    """Generate synthetic persons, life events, agency extracts with realistic errors, and ground truth."""
    from padis.synth.errors import ErrorRates
    from padis.synth.generate import SynthConfig, generate, parse_provinces, parse_years

    rates = ErrorRates()
    if errors_config is not None:
        rates = rates.with_file(errors_config)
    rates = rates.with_overrides(error_rate)
    config = SynthConfig(
        out=out,
        persons=persons,
        provinces=parse_provinces(provinces),
        years=parse_years(years),
        seed=seed,
        fmt=fmt,
        encoding=encoding,
        rates=rates,
    )
    config.check()
    console = Console()
    with Progress(
        TextColumn("[bold]合成数据[/]"),
        BarColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("人口", total=len(STAGES))
        result = generate(config, progress=lambda name: bar.update(task, advance=1, description=name))
    table = Table(title=f"合成数据 → {result.out}")
    table.add_column("extract")
    table.add_column("rows", justify="right")
    for name, count in result.row_counts.items():
        table.add_row(name, f"{count:,}")
    console.print(table)
    timings = ", ".join(f"{k} {v:.1f}s" for k, v in result.timings.items())
    console.print(
        f"persons {result.persons:,} · events {result.events:,} · injected errors {result.errors:,}"
    )
    console.print(f"time per stage: {timings}")


def register(app: typer.Typer) -> None:
    """Add ``padis synth`` to the main app."""
    app.command("synth")(synth)
