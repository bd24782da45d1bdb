"""``padis link``: dedupe a file, link two files, evaluate, clerical review, register linkage."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

link_app = typer.Typer(
    help="Record linkage (Splink): find which records are the same person.", no_args_is_help=True
)
review_app = typer.Typer(help="Clerical review of uncertain pairs.", no_args_is_help=True)
console = Console()

SETTINGS_OPT = typer.Option(
    ..., "--settings", "-s", help="Linkage settings YAML (id column, columns, types)."
)
ENGINE_OPT = typer.Option("duckdb", "--engine", help="Backend: duckdb (default) or spark (local mode).")
THRESHOLD_OPT = typer.Option(
    None, "--threshold", help="Match probability to link at (default: from settings)."
)
OUT_OPT = typer.Option(None, "--out", help="Write scored pairs here (.parquet or .csv).")
CLUSTERS_OPT = typer.Option(None, "--clusters", help="Write clusters here (.csv or .parquet).")


def friendly(fn: Callable[..., None]) -> Callable[..., None]:
    """Turn a PadisError into one red line and its exit code (never a traceback for bad input)."""

    @functools.wraps(fn)
    def wrapper(*args: object, **kwargs: object) -> None:
        from padis.errors import PadisError

        try:
            fn(*args, **kwargs)
        except PadisError as exc:
            Console(stderr=True).print(f"[bold red]error:[/] {exc.line()}", highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None

    return wrapper


def _progress() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console)


def _report(result, out: Path | None, clusters: Path | None, threshold: float) -> None:  # type: ignore[no-untyped-def]
    from padis.linkage.service import write_frame

    n_rec = result.prepared.height
    n_cl = result.clusters.get_column("cluster_id").n_unique()
    linked = result.pairs.filter(result.pairs["match_probability"] >= threshold).height
    console.print(
        f"{n_rec} records → {n_cl} persons; {linked} pairs ≥ {threshold}; {result.pairs.height} scored"
    )
    if out:
        console.print(f"pairs → {write_frame(result.keyed_pairs(), out)}")
    if clusters:
        console.print(f"clusters → {write_frame(result.keyed_clusters(), clusters)}")


@link_app.command("dedupe")
@friendly
def dedupe_cmd(
    file: Path = typer.Argument(..., help="Person file (CSV, XLSX, JSONL, Parquet)."),
    settings: Path = SETTINGS_OPT,
    out: Path | None = OUT_OPT,
    clusters: Path | None = CLUSTERS_OPT,
    engine: str = ENGINE_OPT,
    threshold: float | None = THRESHOLD_OPT,
    model_out: Path | None = typer.Option(None, "--model-out", help="Save the trained model in this folder."),
    review: bool = typer.Option(
        False, "--review", help="Use past review decisions and queue uncertain pairs in the database."
    ),
) -> None:
    """Find records of the same person within one file."""
    from padis.linkage.service import dedupe
    from padis.linkage.settings import load_settings

    s = load_settings(settings)
    db = None
    if review:
        from padis.store import get_engine

        db = get_engine()
    with _progress() as p:
        p.add_task("linking (train, score, cluster)…", total=None)
        result = dedupe(file, s, engine=engine, threshold=threshold, review_db=db)
    if review:
        console.print(f"{result.queued} pairs queued for review (`padis link review list`)")
    if model_out:
        result.model.save(model_out)
    _report(result, out, clusters, threshold if threshold is not None else s.match_threshold)


@link_app.command("between")
@friendly
def between_cmd(
    a: Path = typer.Argument(..., help="First person file."),
    b: Path = typer.Argument(..., help="Second person file."),
    settings: Path = SETTINGS_OPT,
    out: Path | None = OUT_OPT,
    clusters: Path | None = CLUSTERS_OPT,
    engine: str = ENGINE_OPT,
    threshold: float | None = THRESHOLD_OPT,
) -> None:
    """Link records across two files (pairs within a file are not proposed)."""
    from padis.linkage.service import between
    from padis.linkage.settings import load_settings

    s = load_settings(settings)
    with _progress() as p:
        p.add_task("linking (train, score, cluster)…", total=None)
        result = between(a, b, s, engine=engine, threshold=threshold)
    _report(result, out, clusters, threshold if threshold is not None else s.match_threshold)


def _print_curve(curve) -> None:  # type: ignore[no-untyped-def]
    table = Table(title="阈值曲线 threshold curve")
    for c in curve.columns:
        table.add_column(c)
    for row in curve.iter_rows():
        table.add_row(*(f"{v:.4f}" if isinstance(v, float) else str(v) for v in row))
    console.print(table)


@link_app.command("evaluate")
@friendly
def evaluate_cmd(
    truth: Path = typer.Option(
        ..., "--truth", help="Truth: records.parquet (dataset, record_id, person_id)."
    ),
    clusters: Path | None = typer.Option(None, "--clusters", help="Clusters file to score."),
    pairs: Path | None = typer.Option(None, "--pairs", help="Scored pairs, for the threshold curve."),
    synth: Path | None = typer.Option(
        None, "--synth", help="Instead: link all extracts of this synth folder."
    ),
    engine: str = ENGINE_OPT,
    threshold: float | None = THRESHOLD_OPT,
    charts: Path | None = typer.Option(None, "--charts", help="Write Splink's match-weights chart (HTML)."),
) -> None:
    """Pairwise precision/recall/F1, B-cubed cluster metrics and a threshold curve against the truth."""
    from padis.errors import InputError
    from padis.linkage.service import curve_for, evaluate_files, link_synth

    if synth is not None:
        with _progress() as p:
            p.add_task("linking all extracts…", total=None)
            run = link_synth(synth, engine=engine, threshold=threshold)
        scores = run.scores
        curve = curve_for(run.result, run.truth, run.result.model.settings)
        if charts:
            console.print(_charts(run.result, charts))
    elif clusters is not None:
        scores, curve = evaluate_files(truth, clusters, pairs)
    else:
        raise InputError("nothing to evaluate", where="padis link evaluate", why="give --clusters or --synth")
    console.print(f"[bold]pairwise[/] {scores.line()}")
    console.print(
        f"true pairs {scores.true_pairs}, predicted {scores.predicted_pairs}, "
        f"correct {scores.correct_pairs}; "
        f"clusters with two valid ID numbers: {scores.id_conflicts}"
    )
    if curve is not None:
        _print_curve(curve)


def _charts(result, path: Path) -> str:  # type: ignore[no-untyped-def]
    from padis.linkage.charts import match_weights_html

    return match_weights_html(result.model, path)


@review_app.command("list")
@friendly
def review_list(
    status: str = typer.Option("pending", help="pending, accepted or rejected."),
    limit: int = typer.Option(20, help="How many to show."),
) -> None:
    """Show queued pairs with which fields agreed and their weights."""
    from padis.linkage.review import list_reviews
    from padis.store import get_engine

    rows = list_reviews(get_engine(), status, limit)
    table = Table(title=f"待审核 review queue ({status})")
    for c in ("id", "left", "right", "p", "fields (level: weight)"):
        table.add_column(c)
    for r in rows:
        detail = "; ".join(f"{k}: {v['level']} {v['weight']}" for k, v in r["detail"].items())  # type: ignore[union-attr]
        table.add_row(
            str(r["review_id"]), str(r["left"]), str(r["right"]), f"{r['match_probability']:.3f}", detail
        )
    console.print(table)


@review_app.command("accept")
@friendly
def review_accept(
    review_id: int = typer.Argument(..., help="Review id from `padis link review list`."),
    by: str = typer.Option("clerk", "--by", help="Who decided."),
) -> None:
    """Accept a pair: the two records are the same person (must-link)."""
    from padis.linkage.review import decide
    from padis.store import get_engine

    decide(get_engine(), review_id, True, by)
    console.print(f"review {review_id}: accepted (`padis link relink` applies decisions to the register)")


@review_app.command("reject")
@friendly
def review_reject(
    review_id: int = typer.Argument(..., help="Review id from `padis link review list`."),
    by: str = typer.Option("clerk", "--by", help="Who decided."),
) -> None:
    """Reject a pair: never link these two records (cannot-link) and never propose them again."""
    from padis.linkage.review import decide
    from padis.store import get_engine

    decide(get_engine(), review_id, False, by)
    console.print(f"review {review_id}: rejected (`padis link relink` applies decisions to the register)")


@link_app.command("register")
@friendly
def register_cmd(engine: str = ENGINE_OPT) -> None:
    """Link every source record in the database and hand the person ids to the register."""
    from padis.linkage.resolver import SplinkResolver
    from padis.register.service import rebuild_all
    from padis.store import get_engine

    with _progress() as p:
        p.add_task("linking source records…", total=None)
        stats = rebuild_all(get_engine(), resolver=SplinkResolver(engine=engine))
    console.print(json.dumps(stats, ensure_ascii=False))


@link_app.command("relink")
@friendly
def relink_cmd() -> None:
    """Apply clerical review decisions to the register: persons joined or parted, golden records rebuilt."""
    from padis.linkage.resolver import relink_register
    from padis.store import get_engine

    with _progress() as p:
        p.add_task("re-clustering the linked register under the review decisions…", total=None)
        stats = relink_register(get_engine())
    console.print(json.dumps(stats, ensure_ascii=False))


def register(app: typer.Typer) -> None:
    """Add ``padis link`` to the main app."""
    link_app.add_typer(review_app, name="review")
    app.add_typer(link_app, name="link")
