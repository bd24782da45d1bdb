"""``padis standards``: identity numbers, divisions, code tables and the data dictionary."""

from __future__ import annotations

import importlib
import importlib.util

import typer

standards_app = typer.Typer(
    help="National standards: identity numbers, division codes, code tables, the data dictionary.",
    no_args_is_help=True,
)

# Each part adds its commands to ``standards_app`` through its own ``register(standards_app)``.
PARTS = ("cli_ids", "cli_divisions", "cli_dictionary")


def register(app: typer.Typer) -> None:
    """Add ``padis standards`` to the main app."""
    for part in PARTS:
        name = f"padis.standards.{part}"
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name).register(standards_app)
    app.add_typer(standards_app, name="standards")
