"""Benchmark of the exchange service: single-person queries over HTTP (wrk) and 1M-row batch verification.

Starts ``padis serve`` (uvicorn) on loopback against a freshly seeded database, drives it with ``wrk``
(Debian package) for the query figures, and uploads a CSV batch to ``POST /api/v1/verify/jobs`` for the
end-to-end verification figure (upload, parse, register load, join, result file, audit).

    .venv/bin/python bench/bench_exchange.py --persons 1000000 --batch 1000000 --workers 2 --duration 20
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import polars as pl
import psutil

ROOT = Path(__file__).resolve().parents[1]
PADIS = str(ROOT / ".venv" / "bin" / "padis")

LUA = """
local ids = {}
for line in io.lines("%(ids)s") do ids[#ids + 1] = line end
local n = 0
wrk.headers["Authorization"] = "Bearer %(token)s"
wrk.headers["X-Purpose"] = "%(purpose)s"
request = function()
  n = n + 1
  return wrk.format("GET", "/api/v1/persons?id_number=" .. ids[(n %% #ids) + 1])
end
"""


def _env(home: Path, url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PADIS_HOME": str(home),
            "PADIS_DATABASE_URL": url,
            "PADIS_SECRET_KEY": "bench-" + "k" * 40,
            "PADIS_MAX_UPLOAD_MB": "200",
        }
    )
    return env


def seed(url: str, home: Path, persons: int) -> tuple[pl.DataFrame, str]:
    """Migrate, seed ``persons`` persons, add a member with an agreement; returns persons and the secret."""
    os.environ.update(_env(home, url))
    from padis.exchange.agreements import add_agreement
    from padis.exchange.fixtures import make_persons
    from padis.exchange.members import add_member
    from padis.exchange.seed import seed_persons
    from padis.settings import get_settings
    from padis.store.engine import make_engine
    from padis.store.migrate import upgrade

    get_settings.cache_clear()
    engine = make_engine(url)
    upgrade(engine)
    t = time.perf_counter()
    frame = make_persons(persons)
    seed_persons(engine, frame)
    print(f"seeded {frame.height:,} persons in {time.perf_counter() - t:.1f} s")
    _, secret = add_member(engine, "bench_client", "civil_affairs")
    add_agreement(
        engine,
        "bench_client",
        services=["query", "verify"],
        fields=["id_number", "name", "sex", "birth_date", "registered_division", "death_date"],
        purposes=["benchmark"],
        divisions=["110000", "330000"],
    )
    engine.dispose()
    return frame, secret


def start_server(url: str, home: Path, port: int, workers: int) -> subprocess.Popen:  # type: ignore[type-arg]
    """``padis serve`` in its own process group; waits until /health answers."""
    proc = subprocess.Popen(
        [
            PADIS,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-webhooks",
        ],
        env=_env(home, url),
        start_new_session=True,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("server did not start")


def stop_server(proc: subprocess.Popen) -> None:  # type: ignore[type-arg]
    """Stop the server process group we started."""
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def _server_cpu(proc: subprocess.Popen) -> float:  # type: ignore[type-arg]
    """CPU seconds used so far by the server and its workers."""
    procs = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    return sum(p.cpu_times().user + p.cpu_times().system for p in procs)


def _ms(value: str) -> float:
    num, unit = re.match(r"([\d.]+)(\w+)", value).groups()  # type: ignore[union-attr]
    return float(num) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(port: int, token: str, ids_file: Path, duration: int, connections: int, work: Path) -> dict:  # type: ignore[type-arg]
    """wrk against the query endpoint; returns rps, p50, p99 and non-2xx count."""
    script = work / "query.lua"
    script.write_text(LUA % {"ids": ids_file, "token": token, "purpose": "benchmark"})
    out = subprocess.run(
        [
            "wrk",
            "-t",
            "1",
            "-c",
            str(connections),
            "-d",
            f"{duration}s",
            "--latency",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return {
        "rps": rps,
        "p50_ms": p50,
        "p99_ms": p99,
        "requests": total,
        "non_2xx": int(bad.group(1)) if bad else 0,
    }


def batch_verify(port: int, token: str, persons: pl.DataFrame, rows: int, work: Path) -> dict:  # type: ignore[type-arg]
    """Upload a ``rows``-row CSV (some names/dates altered, some unknown IDs) and wait for the job."""
    batch = persons.sample(n=rows, with_replacement=rows > persons.height, seed=1).select(
        "id_number", "name", pl.col("birth_date").cast(pl.String)
    )
    idx = pl.int_range(pl.len())
    batch = batch.with_columns(
        name=pl.when(idx % 50 == 1).then(pl.lit("某某")).otherwise(pl.col("name")),
        id_number=pl.when(idx % 97 == 3)
        .then(pl.col("id_number").str.slice(0, 17) + "0")
        .otherwise(pl.col("id_number")),
    )
    path = work / "batch.csv"
    batch.write_csv(path)
    size_mb = path.stat().st_size / 1e6
    headers = {"Authorization": f"Bearer {token}", "X-Purpose": "benchmark"}
    t0 = time.perf_counter()
    with path.open("rb") as fh:
        r = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/verify/jobs",
            headers=headers,
            files={"file": ("batch.csv", fh, "text/csv")},
            timeout=600,
        )
    r.raise_for_status()
    job = r.json()["job_id"]
    while True:
        st = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/verify/jobs/{job}", headers=headers, timeout=60
        ).json()
        if st["status"] in ("done", "failed"):
            break
        time.sleep(0.05)
    elapsed = time.perf_counter() - t0
    if st["status"] != "done":
        raise SystemExit(f"job failed: {st}")
    return {
        "rows": rows,
        "seconds": elapsed,
        "rows_per_s": rows / elapsed,
        "file_mb": size_mb,
        "counts": st["counts"],
    }


def main() -> None:
    """Run the benchmark and print its figures."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--duration", type=int, default=20)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--db-url", default="", help="PostgreSQL URL of an empty database (default: SQLite file)")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk missing: apt-get install -y wrk")
    work = Path(tempfile.mkdtemp(prefix="padis-bench-"))
    home = work / "home"
    url = args.db_url or f"sqlite:///{work / 'padis.db'}"
    persons, secret = seed(url, home, args.persons)
    ids_file = work / "ids.txt"
    ids_file.write_text("\n".join(persons["id_number"].sample(n=min(50_000, persons.height), seed=2)) + "\n")
    server = start_server(url, home, args.port, args.workers)
    try:
        token = httpx.post(
            f"http://127.0.0.1:{args.port}/api/v1/auth/token",
            data={"client_id": "bench_client", "client_secret": secret},
        ).json()["access_token"]
        run_wrk(args.port, token, ids_file, 3, args.connections, work)  # warm-up
        cpu0 = _server_cpu(server)
        load0 = os.getloadavg()[0]
        query = run_wrk(args.port, token, ids_file, args.duration, args.connections, work)
        query["server_cpu_ms_per_request"] = (_server_cpu(server) - cpu0) * 1000 / max(query["requests"], 1)
        query["load_avg_1m_before"] = load0
        print(
            f"query: {query['rps']:,.0f} req/s, p50 {query['p50_ms']:.1f} ms, p99 {query['p99_ms']:.1f} ms, "
            f"{query['requests']:,} requests, non-2xx {query['non_2xx']}; server CPU "
            f"{query['server_cpu_ms_per_request']:.2f} ms/request; machine load {load0:.1f} before the run"
        )
        server_rss = sum(p.memory_info().rss for p in psutil.Process(server.pid).children(recursive=True))
        cold = batch_verify(args.port, token, persons, args.batch, work)
        print(
            f"batch verify (cold: first job loads the register copy): {cold['rows']:,} rows in "
            f"{cold['seconds']:.2f} s = {cold['rows_per_s']:,.0f} rows/s ({cold['file_mb']:.0f} MB CSV)"
        )
        verify = batch_verify(args.port, token, persons, args.batch, work)
        verify["cold_seconds"] = cold["seconds"]
        print(
            f"batch verify (warm): {verify['rows']:,} rows in {verify['seconds']:.2f} s = "
            f"{verify['rows_per_s']:,.0f} rows/s counts {verify['counts']}"
        )
        peak = max(p.memory_info().rss for p in psutil.Process(server.pid).children(recursive=True))
        print(
            f"server RSS after query load {server_rss / 2**20:,.0f} MiB; largest worker after verify "
            f"{peak / 2**20:,.0f} MiB"
        )
    finally:
        stop_server(server)
    from padis.security.audit import verify_chain
    from padis.store.engine import make_engine

    t = time.perf_counter()
    report = verify_chain(make_engine(url))
    print(
        f"audit chain: ok={report.ok}, {report.entries:,} entries verified in {time.perf_counter() - t:.1f} s"
    )
    print(
        json.dumps({"query": query, "verify": verify, "audit_entries": report.entries, "audit_ok": report.ok})
    )
    shutil.rmtree(work, ignore_errors=True)
    sys.exit(0 if report.ok else 1)


if __name__ == "__main__":
    main()
