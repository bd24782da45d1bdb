"""`padis demo` runs the whole flow end to end on the embedded default (SQLite + DuckDB)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_demo_runs_the_whole_flow(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PADIS_")}
    env["COLUMNS"] = "200"
    proc = subprocess.run(
        [sys.executable, "-m", "padis", "demo", "--workdir", str(tmp_path / "demo"), "--persons", "3000"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        cwd=tmp_path,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    for step in ("synth", "collect", "register", "linkage", "exchange", "stats"):
        assert re.search(rf"│ {step} \(s\)\s+│ \d+\.\d", out), f"step {step} missing from the summary"
    f1 = float(re.search(r"linkage F1 \(register\)\s+│ ([0-9.]+)", out).group(1))
    assert f1 >= 0.99
    assert re.search(r"audit chain\s+│ intact", out)
    assert "HTTP 403 purpose_not_allowed" in out
    delivered = re.search(
        r"batch delivered \(API\)\s+│ HTTP 201, 200 rows: stored (\d+), quarantined (\d+)", out
    )
    assert delivered and int(delivered.group(1)) + int(delivered.group(2)) == 200, out[-3000:]
    assert (tmp_path / "demo" / "padis.db").exists()
    assert "quarantined rows to correct in Excel" in out and (tmp_path / "demo" / "quarantine.xlsx").exists()
    # the closing line says how to browse this demo's register (its home holds the database)
    assert f"PADIS_HOME={(tmp_path / 'demo').resolve()} padis serve" in out.replace("\n", "")
