"""The ``padis`` command line: a thin shell that gathers each domain's commands."""

from __future__ import annotations

from typing import NoReturn

import click
import typer
from rich.console import Console
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from typer.core import TyperGroup

from padis import __version__
from padis.domains import domain_modules
from padis.errors import ConfigError, PadisError


class PadisGroup(TyperGroup):
    """Root command group: a ``PadisError`` becomes one red line on stderr and a non-zero exit.

    So do the two database failures a user can fix: a schema not created or upgraded yet, and a
    database that cannot be reached.
    """

    def invoke(self, ctx: click.Context):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except PadisError as exc:
            _fail(exc)
        except DBAPIError as exc:
            known = database_problem(exc)
            if known is None:
                raise
            _fail(known)


def _fail(exc: PadisError) -> NoReturn:
    Console(stderr=True).print(f"[bold red]error:[/] {exc.line()}", highlight=False, soft_wrap=True)
    raise typer.Exit(exc.exit_code) from exc


def database_problem(exc: DBAPIError) -> ConfigError | None:
    """A missing table or an unreachable server as a one-line error naming the fix (None: another error)."""
    from padis.settings import get_settings

    where = make_url(get_settings().database_url).render_as_string(hide_password=True)
    message = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
    lowered = message.lower()
    missing = ("no such table", "no such column", "undefinedtable", "undefinedcolumn")
    if any(m in lowered for m in missing) or (
        ("relation" in lowered or "column" in lowered) and "does not exist" in lowered
    ):
        return ConfigError(
            "database schema is missing or out of date", where=where, why="run `padis db upgrade`"
        )
    if exc.connection_invalidated or any(
        s in lowered
        for s in ("connection refused", "could not connect", "unable to open database", "timeout expired")
    ):
        return ConfigError("cannot reach the database", where=where, why=message[:200])
    return None


app = typer.Typer(
    cls=PadisGroup,
    name="padis",
    help="padis — population information platform: collect, link, verify, exchange, publish.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)


def _register_domains() -> None:
    for _domain, module in domain_modules("cli"):
        module.register(app)


@app.command()
def version() -> None:
    """Print the padis version."""
    typer.echo(__version__)


@app.command()
def demo(
    workdir: str = typer.Option(".padis-demo", help="Folder for the demo's data and database."),
    persons: int = typer.Option(20_000, help="Size of the synthetic population."),
    open_browser: bool = typer.Option(False, "--open/--no-open", help="Open the dashboard at the end."),
) -> None:
    """Run the whole flow as it stands, on the embedded default (SQLite + DuckDB)."""
    from padis.demo import run_demo

    raise typer.Exit(run_demo(workdir=workdir, persons=persons, open_browser=open_browser))


_register_domains()


def main() -> None:
    """Entry point of the ``padis`` script."""
    app()


if __name__ == "__main__":
    main()
