"""A live padis app on 127.0.0.1 with dashboard data from `padis synth`, and headless Debian Chromium."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
USER, PASSWORD = "analyst1", "analyst-pass-1"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[str]:
    """Base URL of the app: dashboard cache built from a small synthetic population, one analyst user."""
    import polars as pl

    generate = pytest.importorskip("padis.synth.generate")
    from padis.api.app import create_app
    from padis.security.users import add_user
    from padis.stats.cache import refresh, save_comparison
    from padis.stats.compare import compare_with_register
    from padis.stats.indicators import compute_indicators
    from padis.stats.snapshot import from_synth
    from padis.store.engine import make_engine

    root = tmp_path_factory.mktemp("web")
    with padis_home(root, sqlite_template) as url:
        generate.generate(generate.SynthConfig(out=root / "synth", persons=20_000, provinces=["11", "13"],
                                               years=(2021, 2025), seed=5))
        snap = from_synth(root / "synth")
        refresh(snap, "2021-2025,2025R,2025H")
        county = compute_indicators(snap, "2025", level="county", indicators=["POP_REG"])
        skew = pl.when(pl.col("ref_area").str.ends_with("1")).then(1.2).otherwise(1.0)
        macro = county.filter(pl.col("indicator") == "POP_REG").select(
            "ref_area", (pl.col("value") * skew).alias("theirs"))
        save_comparison(compare_with_register(county, macro, "public_security", "2025"))
        engine = make_engine(url)
        add_user(engine, USER, PASSWORD, "analyst")
        engine.dispose()
        with serving(create_app(url, audit_sync=True)) as base:
            yield base


@contextmanager
def padis_home(root: Path, sqlite_template: Path) -> Iterator[str]:
    """Inside: PADIS_HOME under ``root``, cheap Argon2, and a migrated SQLite copy (its URL)."""
    from padis.settings import get_settings

    mp = pytest.MonkeyPatch()
    mp.setenv("PADIS_HOME", str(root / "home"))
    mp.setenv("PADIS_ARGON2_MEMORY_KIB", "1024")
    mp.setenv("PADIS_ARGON2_TIME_COST", "1")
    get_settings.cache_clear()
    db = root / "padis.db"
    shutil.copy(sqlite_template, db)
    try:
        yield f"sqlite:///{db}"
    finally:
        mp.undo()
        get_settings.cache_clear()


@contextmanager
def serving(app: object) -> Iterator[str]:
    """Run ``app`` with uvicorn on a free loopback port (a thread) and give its base URL."""
    import uvicorn

    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's chromium driven by Playwright (Playwright cannot download browsers here)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium missing: apt-get install chromium fonts-noto-cjk (scripts/setup.sh --dev)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):  # type: ignore[no-untyped-def]
    """A logged-in page that records console errors and failed requests."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    pg = context.new_page()
    errors: list[str] = []
    def on_console(msg) -> None:  # type: ignore[no-untyped-def]
        where = msg.location.get("url", "")
        if msg.type == "error":
            errors.append(f"{msg.text} [{where}]")

    pg.on("console", on_console)
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("requestfailed", lambda req: errors.append(f"failed: {req.url}"))
    pg.on("response", lambda res: errors.append(f"HTTP {res.status}: {res.url}")
          if res.status >= 400 else None)
    pg.goto(f"{server}/login?next=/stats")
    pg.fill("#username", USER)
    pg.fill("#password", PASSWORD)
    pg.click("button[type=submit]")
    pg.wait_for_url(f"{server}/stats")
    pg.console_errors = errors  # type: ignore[attr-defined]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield pg
    context.close()


@pytest.fixture
def screenshots() -> Path:
    """Where the browser tests keep their screenshots (git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
