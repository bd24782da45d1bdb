"""``padis serve``: the HTTP API on uvicorn."""

from __future__ import annotations

import typer


def serve_cmd(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    workers: int = typer.Option(
        1,
        "--workers",
        help="Worker processes (rate limits are per worker unless PADIS_RATE_LIMIT_URL is set).",
    ),
    webhooks: bool = typer.Option(True, "--webhooks/--no-webhooks", help="Run the webhook delivery worker."),
    log_level: str = typer.Option("warning", "--log-level", help="uvicorn log level."),
) -> None:
    """Serve the exchange API (OpenAPI at /api/v1/openapi.json) and the web views."""
    import os

    import uvicorn

    from padis.security.schema_check import require_current_schema
    from padis.settings import get_settings
    from padis.store import get_engine

    require_current_schema(get_engine())
    if workers > 1 and not get_settings().rate_limit_url:
        typer.echo(
            f"note: {workers} workers keep separate rate-limit buckets (a client may get up to "
            f"{workers}x its rate); set PADIS_RATE_LIMIT_URL=redis://host:6379/0 to share them",
            err=True,
        )
    os.environ["PADIS_SERVE_WEBHOOKS"] = "1" if webhooks else "0"
    base = f"http://{host}:{port}"
    typer.echo(
        f"padis serving on {base} (Ctrl+C to stop): sign in at {base}/login — data stewards' workbench "
        f"{base}/register/conflicts, dashboard {base}/stats, API {base}/api/v1/docs",
        err=True,
    )
    uvicorn.run(
        "padis.api.serve:app_factory",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        access_log=False,
    )


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the main app."""
    app.command("serve")(serve_cmd)
