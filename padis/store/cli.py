"""``padis db``: schema migrations."""

from __future__ import annotations

import typer
from rich.console import Console

db_app = typer.Typer(help="Database schema: migrations on SQLite or PostgreSQL.", no_args_is_help=True)
console = Console()


@db_app.command("upgrade")
def upgrade_cmd(
    target: str = typer.Argument("heads", help="Revision to go to (default: all heads)."),
) -> None:
    """Create or upgrade the schema of the database in PADIS_DATABASE_URL."""
    from padis.store import get_engine
    from padis.store.migrate import upgrade

    engine = get_engine()
    upgrade(engine, target)
    console.print(f"[green]schema up to date[/] on {engine.url.render_as_string(hide_password=True)}")


@db_app.command("current")
def current_cmd() -> None:
    """Show the revisions the database is at and whether it is up to date."""
    from padis.store import get_engine
    from padis.store.migrate import current_heads, is_up_to_date

    engine = get_engine()
    console.print(", ".join(sorted(current_heads(engine))) or "(empty database)")
    console.print("up to date" if is_up_to_date(engine) else "[yellow]needs `padis db upgrade`[/]")


def register(app: typer.Typer) -> None:
    """Add ``padis db`` to the main app."""
    app.add_typer(db_app, name="db")
