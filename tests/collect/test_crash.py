"""kill -9 part-way through a large batch: the database holds all of it or none, and a re-run completes it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from padis.collect.sample import write_extract
from padis.store.engine import make_engine

ROWS = 200_000


@pytest.mark.slow
@pytest.mark.parametrize("victims", ["process", "process_group"])
def test_sigkill_mid_batch_leaves_all_or_nothing_and_rerun_completes(
    db_url: str, tmp_path: Path, victims: str
) -> None:
    """``process``: only the collector dies (a SQLite writer child sees its input end and rolls back);
    ``process_group``: the writer child dies too, in the middle of its open transaction."""
    path, mapping = write_extract(tmp_path / "synth", ROWS, fmt="parquet", bad_fraction=0.01)
    env = {**os.environ, "PADIS_DATABASE_URL": db_url, "PADIS_TEST_CRASH_AFTER_ROWS": "100000"}
    if victims == "process_group":
        env["PADIS_TEST_CRASH_GROUP"] = "1"
    cmd = [sys.executable, "-m", "padis", "collect", str(path), "--agency", "public_security", "--no-apply"]
    # A session of its own, so that killing the collector's process group spares this test.
    crashed = subprocess.run(
        cmd, env=env, capture_output=True, text=True, timeout=600, start_new_session=True
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-2000:]
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT COUNT(*) FROM source_record")).scalar_one()
            batches = conn.execute(text("SELECT COUNT(*) FROM batch")).scalar_one()
            quarantined = conn.execute(text("SELECT COUNT(*) FROM quarantine")).scalar_one()
        assert (batches, stored, quarantined) == (0, 0, 0)  # killed after 100k rows were sent: nothing kept
        env.pop("PADIS_TEST_CRASH_AFTER_ROWS")
        env.pop("PADIS_TEST_CRASH_GROUP", None)
        rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        assert rerun.returncode == 0, rerun.stderr[-2000:]
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT COUNT(*) FROM source_record")).scalar_one()
            quarantined = conn.execute(text("SELECT COUNT(*) FROM quarantine")).scalar_one()
            batch = conn.execute(text("SELECT rows_read, rows_stored, rows_quarantined FROM batch")).one()
        assert stored + quarantined == ROWS
        assert tuple(batch) == (ROWS, stored, quarantined)
    finally:
        engine.dispose()
