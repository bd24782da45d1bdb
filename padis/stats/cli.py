"""Commands: ``padis stats …`` (indicators, compare, export, …), ``padis survey``, ``padis project``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from padis.errors import InputError

console = Console()
stats_app = typer.Typer(
    help="人口统计指标、部门比对与数据发布 (indicators, comparison, export).", no_args_is_help=True
)
survey_app = typer.Typer(help="快速抽样调查 (draw a sample, estimate from responses).", no_args_is_help=True)

SOURCE_HELP = (
    "Where the register snapshot comes from: a `padis synth` output folder, a saved snapshot "
    "folder, or (default) the register database of the settings."
)


def load_snapshot(source: Path | None):  # type: ignore[no-untyped-def]
    """A snapshot from a synth folder, a saved snapshot folder or the register database."""
    from padis.stats.snapshot import Snapshot, from_register, from_synth

    if source is None:
        from padis.store.engine import get_engine

        return from_register(get_engine())
    if (source / "truth" / "persons.parquet").exists():
        return from_synth(source)
    if (source / "persons.parquet").exists():
        return Snapshot.load(source)
    raise InputError(
        "no snapshot found",
        where=str(source),
        why="expected a synth folder (truth/persons.parquet) or a snapshot (persons.parquet)",
    )


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _print_table(frame: pl.DataFrame, title: str, limit: int = 60) -> None:
    table = Table(title=title)
    for col in frame.columns:
        table.add_column(col, justify="right" if frame.schema[col].is_numeric() else "left")
    for row in frame.head(limit).iter_rows():
        table.add_row(*["" if v is None else (f"{v:,.2f}" if isinstance(v, float) else str(v)) for v in row])
    console.print(table)
    if frame.height > limit:
        console.print(f"… {frame.height - limit} more rows (use --format csv/xlsx/json with --out)")


def _write(frame: pl.DataFrame, fmt: str, out: Path | None, title: str) -> None:
    from padis.stats.export import export

    if fmt == "table":
        _print_table(frame, title)
        return
    if fmt not in ("csv", "xlsx", "json"):
        raise InputError(f"unknown format {fmt!r}", where="--format", why="table, csv, xlsx or json")
    if out is None:
        if fmt == "xlsx":
            raise InputError(
                "xlsx needs --out FILE", where="--format", why="a workbook cannot go to the terminal"
            )
        typer.echo(frame.write_csv() if fmt == "csv" else frame.write_json())
        return
    for path in export(frame, fmt, out):
        console.print(f"[green]wrote[/] {path}")


@stats_app.command("indicators")
def indicators_cmd(
    division: str | None = typer.Option(None, "--division", "-d", help="Division code (all when omitted)."),
    period: str = typer.Option(
        ...,
        "--period",
        "-p",
        help="Periods: 2020 (calendar year), 2020R (1 Oct–30 Sep), 2020H (1 Oct–31 Mar), "
        "lists and ranges such as 2016-2020.",
    ),
    level: str | None = typer.Option(
        None, "--level", "-l", help="province, prefecture or county (default: the division's own level)."
    ),
    indicator: list[str] = typer.Option([], "--indicator", "-i", help="Indicator code(s) (default: all)."),
    fmt: str = typer.Option("table", "--format", "-f", help="table, csv, xlsx or json."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Output file (for csv, xlsx, json)."),
    source: Path | None = typer.Option(None, "--from", help=SOURCE_HELP),
    engine: str = typer.Option("duckdb", "--engine", help="duckdb (default) or spark."),
) -> None:
    """Compute population indicators by division and period."""
    from padis.stats.divisions import division_code, level_of
    from padis.stats.indicators import compute_indicators

    division = division_code(division) if division else None
    lvl = level or (level_of(division) if division else "province")
    with _progress() as progress:
        progress.add_task("读取登记快照 (snapshot)…")
        snap = load_snapshot(source)
    with _progress() as progress:
        progress.add_task(f"计算指标 on {engine}…")
        res = compute_indicators(
            snap,
            period,
            level=lvl,
            division=division,
            engine=engine,
            indicators=[i.upper() for i in indicator] or None,
        )
    if fmt == "table":
        res = res.filter((pl.col("sex") == "_T") & (pl.col("age") == "_T")).select(
            "indicator", "label", "ref_area", "period", "value", "unit"
        )
    _write(res, fmt, out, f"人口统计指标 {division or '全部'} {period}")


@stats_app.command("compare")
def compare_cmd(
    file: Path = typer.Argument(..., help="The other department's table (CSV, XLSX, Parquet)."),
    source: str = typer.Option(
        ...,
        "--source",
        "-s",
        help="public_security (户籍人口), statistics (出生人数) or education (在校学生数).",
    ),
    period: str = typer.Option(..., "--period", "-p", help="Period the table refers to, e.g. 2020."),
    level: str = typer.Option("county", "--level", "-l", help="Division level of the table."),
    threshold: float = typer.Option(0.05, "--threshold", "-t", help="Flag when |ratio − 1| exceeds this."),
    division_column: str | None = typer.Option(None, "--division-column", help="Column with division codes."),
    value_column: str | None = typer.Option(None, "--value-column", help="Column with the figures."),
    fmt: str = typer.Option("table", "--format", "-f", help="table, csv, xlsx or json."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Output file."),
    from_: Path | None = typer.Option(None, "--from", help=SOURCE_HELP),
) -> None:
    """Compare another department's macro table with the register, by division, with flags."""
    from padis.stats.cache import save_comparison
    from padis.stats.compare import SOURCES, compare_with_register, load_macro
    from padis.stats.indicators import compute_indicators

    if source not in SOURCES:
        raise InputError(f"unknown source {source!r}", where="--source", why=f"one of {', '.join(SOURCES)}")
    macro = load_macro(file, division_column=division_column, value_column=value_column)
    snap = load_snapshot(from_)
    res = compute_indicators(snap, period, level=level, indicators=[SOURCES[source][0]])
    out_frame = compare_with_register(res, macro, source, period, threshold)
    save_comparison(out_frame)
    flagged = int(out_frame.get_column("flagged").sum())
    _write(
        out_frame.select("ref_area", "ours", "theirs", "difference", "ratio", "flagged"),
        fmt,
        out,
        f"{SOURCES[source][1]} vs 登记 ({period})",
    )
    console.print(f"{flagged} of {out_frame.height} divisions flagged (threshold {threshold:.0%})")


@stats_app.command("export")
def export_cmd(
    fmt: str = typer.Option(..., "--format", "-f", help="sdmx-ml, sdmx-csv, csv or xlsx."),
    out: Path = typer.Option(
        ..., "--out", "-o", help="Output file (SDMX writes <stem>.structure.xml beside)."
    ),
    period: str = typer.Option(..., "--period", "-p", help="Periods, e.g. 2020 or 2018-2020."),
    level: str = typer.Option("county", "--level", "-l", help="province, prefecture or county."),
    division: str | None = typer.Option(None, "--division", "-d", help="Only this division's part."),
    threshold: int = typer.Option(10, "--threshold", help="Suppress counts below this (disclosure control)."),
    suppress: bool = typer.Option(
        True,
        "--suppress/--no-suppress",
        help="Apply small-cell suppression (turn off only for internal use).",
    ),
    source: Path | None = typer.Option(None, "--from", help=SOURCE_HELP),
) -> None:
    """Export indicators as SDMX-ML 2.1, SDMX-CSV, CSV or XLSX, suppressed for publication."""
    from padis.stats.divisions import division_code
    from padis.stats.export import export, publishable
    from padis.stats.indicators import compute_indicators

    division = division_code(division) if division else None
    snap = load_snapshot(source)
    res = compute_indicators(snap, period, level=level, division=division)
    if suppress:
        res = publishable(res, threshold)
        n = res.filter(pl.col("flag") != "").height
        console.print(f"disclosure control: {n} cells suppressed (threshold {threshold})")
        res = res.filter(pl.col("value").is_not_null()) if fmt.startswith("sdmx") else res
    for path in export(res, fmt, out):
        console.print(f"[green]wrote[/] {path}")


@stats_app.command("refresh")
def refresh_cmd(
    period: str | None = typer.Option(None, "--period", "-p", help="Periods (default: the last 5 years)."),
    source: Path | None = typer.Option(None, "--from", help=SOURCE_HELP),
    engine: str = typer.Option("duckdb", "--engine", help="duckdb or spark."),
) -> None:
    """Recompute the dashboard's indicators and projections."""
    from padis.stats.cache import refresh

    snap = load_snapshot(source)
    with _progress() as progress:
        progress.add_task("计算仪表板数据…")
        path = refresh(snap, period, engine=engine, source=str(source or "register"))
    console.print(f"[green]dashboard data written[/] to {path}")


@stats_app.command("dp")
def dp_cmd(
    epsilon: float = typer.Option(1.0, "--epsilon", help="Privacy budget ε for the whole release."),
    period: str = typer.Option(..., "--period", "-p", help="Period, e.g. 2020."),
    level: str = typer.Option("county", "--level", "-l", help="Division level."),
    indicator: str = typer.Option("POP", "--indicator", "-i", help="A count indicator (unit 人)."),
    out: Path | None = typer.Option(None, "--out", "-o", help="CSV file for the noisy counts."),
    source: Path | None = typer.Option(None, "--from", help=SOURCE_HELP),
) -> None:
    """Release one count indicator by division with differential privacy (OpenDP), stating ε."""
    from padis.stats.disclosure import dp_counts
    from padis.stats.indicators import compute_indicators

    res = compute_indicators(load_snapshot(source), period, level=level, indicators=[indicator.upper()])
    res = res.filter((pl.col("sex") == "_T") & (pl.col("age") == "_T"))
    if res.height == 0 or res.get_column("unit")[0] != "人":
        raise InputError(f"{indicator} is not a count indicator", where="--indicator", why="use POP, BIRTHS…")
    release = dp_counts(res.get_column("value").fill_null(0).round().cast(pl.Int64).to_numpy(), epsilon)
    frame = res.select("indicator", "ref_area", "period").with_columns(
        pl.Series("value_dp", release.counts), pl.lit(release.epsilon).alias("epsilon")
    )
    console.print(release.statement())
    _write(frame, "csv" if out else "table", out, f"{indicator} (ε = {release.epsilon:g})")


@survey_app.command("sample")
def survey_sample(
    out: Path = typer.Option(..., "--out", "-o", help="Sample file to write (CSV, XLSX or Parquet)."),
    design: str = typer.Option(
        "stratified", "--design", help="stratified (persons) or cluster (whole clusters)."
    ),
    stratum: str = typer.Option("county", "--stratum", help="Stratum column: county, prefecture, sex…"),
    cluster: str | None = typer.Option(
        None, "--cluster", help="Cluster column for a cluster sample (county)."
    ),
    n: int = typer.Option(30, "--n", help="Persons (stratified) or clusters (cluster) per stratum."),
    on: str | None = typer.Option(None, "--on", help="Frame date YYYY-MM-DD (default today)."),
    division: str | None = typer.Option(None, "--division", "-d", help="Only persons in this division."),
    seed: int = typer.Option(1, "--seed", help="Random seed (same seed, same sample)."),
    source: Path | None = typer.Option(None, "--from", help=SOURCE_HELP),
) -> None:
    """Draw a stratified or cluster sample from the register."""
    from padis.stats.survey import draw_sample, sampling_frame, write_frame

    try:
        when = dt.date.fromisoformat(on) if on else dt.date.today()
    except ValueError as exc:
        raise InputError(f"bad date {on!r}", where="--on", why="use YYYY-MM-DD") from exc
    frame = sampling_frame(load_snapshot(source), when)
    if division:
        frame = frame.filter(pl.col("county").str.starts_with(division.rstrip("0")))
    smp = draw_sample(frame, design=design, stratum=stratum, cluster=cluster, n=n, seed=seed)
    write_frame(smp, out)
    console.print(
        f"[green]sample of {smp.height:,}[/] from {frame.height:,} persons "
        f"in {smp.get_column('stratum').n_unique()} strata → {out}"
    )


@survey_app.command("estimate")
def survey_estimate(
    sample: Path = typer.Argument(..., help="The sample file written by `padis survey sample`."),
    responses: Path = typer.Argument(..., help="Responses: person_id plus one column per question."),
    var: list[str] = typer.Option(..., "--var", "-v", help="Response column(s) to estimate."),
    kind: str = typer.Option("mean", "--kind", help="mean, total or prop (a 0/1 mean is a proportion)."),
    by: str | None = typer.Option(None, "--by", help="Domain column (e.g. stratum)."),
    fmt: str = typer.Option("table", "--format", "-f", help="table, csv, xlsx or json."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Output file."),
) -> None:
    """Estimate totals, means and proportions with design-based SEs and 95% confidence intervals."""
    from padis.stats.survey import estimate, read_frame

    res = estimate(read_frame(sample), read_frame(responses), var, kind=kind, by=by)
    _write(res, fmt, out, f"抽样调查估计 ({kind}, 95% 置信区间)")


def project_cmd(
    division: str | None = typer.Option(None, "--division", "-d", help="Division code (all when omitted)."),
    years: int = typer.Option(30, "--years", help="Years to project."),
    scenario: str = typer.Option(
        "tfr=1.0,1.3,1.6", "--scenario", help="TFR scenarios, e.g. tfr=1.0,1.3,1.6."
    ),
    base_year: int | None = typer.Option(
        None, "--base-year", help="Base year (default: last complete year)."
    ),
    migration: bool = typer.Option(
        False,
        "--migration/--no-migration",
        help="Keep the base year's net migration constant (default zero).",
    ),
    step: int = typer.Option(5, "--step", help="Print every n-th year."),
    fmt: str = typer.Option("table", "--format", "-f", help="table, csv, xlsx or json."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Output file."),
    source: Path | None = typer.Option(None, "--from", help=SOURCE_HELP),
) -> None:
    """Cohort-component projection by single year of age and sex under TFR scenarios."""
    from padis.stats.cache import latest_year
    from padis.stats.divisions import division_code, level_of
    from padis.stats.projection import parse_scenarios, project_snapshot

    division = division_code(division) if division else None

    scenarios = parse_scenarios(scenario)
    snap = load_snapshot(source)
    base = base_year or latest_year(snap)
    with _progress() as progress:
        progress.add_task(f"projecting {years} years × {len(scenarios)} scenarios…")
        result = project_snapshot(snap, base, years, scenarios, migration=migration)
    level = level_of(division) if division else "province"
    totals = result.totals(level=level, division=division)
    if fmt == "table":
        wide = totals.filter(((pl.col("year") - base) % max(step, 1) == 0) | (pl.col("year") == base + years))
        wide = wide.pivot(on="scenario", index=["ref_area", "year"], values="population").sort(
            "ref_area", "year"
        )
        _print_table(wide, f"人口预测 {division or '全部'} {base}–{base + years}", limit=200)
    else:
        _write(totals, fmt, out, "人口预测")


def register(app: typer.Typer) -> None:
    """Add ``stats``, ``survey`` and ``project`` to the padis command line."""
    app.add_typer(stats_app, name="stats")
    app.add_typer(survey_app, name="survey")
    app.command("project")(project_cmd)
