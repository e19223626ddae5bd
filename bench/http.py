"""``bench/http``: /v1/search and /v1/ask over HTTP on loopback, driven by wrk for a bounded time.

Default: the seed corpus, the README's 2 workers, ``qa-api serve`` as ``make run`` starts it (nginx in front of
gunicorn) against a baseline of the setup before it (gunicorn alone, with the custom worker kept in
``bench/baseline``), both running at once; each endpoint gets ``--seconds`` of wrk per setup, in alternating
rounds so that the machine's other load falls on both alike. Prints requests/s, latency percentiles and
errors per setup and endpoint, and each throughput's ratio to the baseline's.

``--index DIR`` serves a benchmark index (``bench.search`` writes one) instead and reports the
proportional set size (PSS, /proc/PID/smaps_rollup) of master + workers with 1 and with 2 workers, after
load has touched the index in every worker.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from bench.load import gunicorn_workers

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ["North Korea troops Russia", "Victory Day Russian Embassy", "Putin Kim summit treaty",
           "When did North Korea confirm troop deployment?", "Kursk operation heroes", "artillery shells Ukraine"]
QUESTIONS = ["When did North Korea confirm troop deployment?", "Who met Putin in Moscow?",
             "Where did the Victory Day parade take place?", "How many North Korean troops were sent to Kursk?"]
SEARCH_LUA = """
local queries = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/v1/search?top_k=5&q=" .. queries[(i %% #queries) + 1])
end
"""
ASK_LUA = """
local bodies = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("POST", "/v1/ask", {["Content-Type"] = "application/json"}, bodies[(i %% #bodies) + 1])
end
"""
ROUNDS = 3
SETUPS = {  # name -> how it is started
    "nginx+gunicorn": [sys.executable, "-m", "qa_api", "serve"],
    "baseline": [sys.executable, "-m", "gunicorn", "-c", "python:bench.baseline.gunicorn_conf",
                 "qa_api.http.app:create_app()"],
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/http", description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default: the README's 2)")
    parser.add_argument("--seconds", type=int, default=30, help="of wrk per endpoint and setup (default 30)")
    parser.add_argument("--connections", type=int, default=4,
                        help="open connections (default 4: a sync worker serves one at a time, more only queue)")
    parser.add_argument("--index", type=Path, help="a bench.search qa-api index: measure PSS for 1 and 2 workers")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.index:
        report: dict[str, Any] = {"index": str(args.index), "pss_mb": {w: pss_run(args.index, w) for w in (1, 2)}}
        report["two_over_one"] = round(report["pss_mb"][2] / report["pss_mb"][1], 3)
    else:
        report = throughput_run(args.workers, args.seconds, args.connections)
    report["load_average"] = os.getloadavg()[0]
    print(json.dumps(report, indent=2))
    return 0


def throughput_run(workers: int, seconds: int, connections: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, QA_API_CORPUS_DIR=str(ROOT / "seeds"), QA_API_INDEX_DIR=str(Path(tmp) / "index"),
                   QA_API_WORKERS=str(workers))
        subprocess.run([sys.executable, "-m", "qa_api", "index"], env=env, cwd=ROOT, check=True, timeout=300,
                       stdout=subprocess.DEVNULL)
        servers: dict[str, tuple[int, subprocess.Popen[bytes]]] = {}
        try:
            for name, argv in SETUPS.items():
                servers[name] = start(env, argv)
            runs: dict[str, dict[str, list[dict[str, Any]]]] = {n: {"search": [], "ask": []} for n in SETUPS}
            for r in range(ROUNDS):
                for endpoint in ("search", "ask"):
                    order = list(SETUPS) if r % 2 == 0 else list(reversed(SETUPS))
                    for name in order:
                        port, server = servers[name]
                        cpu_before = tree_cpu_s(server.pid)
                        run = wrk(port, endpoint, max(1, seconds // ROUNDS), connections)
                        run["server_cpu_s"] = tree_cpu_s(server.pid) - cpu_before
                        runs[name][endpoint].append(run)
        finally:
            for _, server in servers.values():
                stop(server)
    report: dict[str, Any] = {"workers": workers, "seconds": seconds, "connections": connections, "rounds": ROUNDS,
                              "setups": {n: {e: combined(rs) for e, rs in by.items()} for n, by in runs.items()}}
    current, baseline = report["setups"]["nginx+gunicorn"], report["setups"]["baseline"]
    report["throughput_ratio_to_baseline"] = {
        e: round(current[e]["requests_per_s"] / baseline[e]["requests_per_s"], 3) for e in ("search", "ask")}
    return report


def combined(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Several wrk runs as one: requests and errors summed, requests/s over the whole time, the worst p99, and the
    CPU time the server's processes spent per request (which other load on the machine does not inflate)."""
    requests_total = sum(r["requests"] for r in runs)
    return {"requests_per_s": round(requests_total / sum(r["seconds"] for r in runs), 1),
            "server_cpu_ms_per_request": round(1000 * sum(r["server_cpu_s"] for r in runs) / requests_total, 3),
            "p50_ms": sorted(r["p50_ms"] for r in runs)[len(runs) // 2],
            "p99_ms": max(r["p99_ms"] for r in runs), "requests": requests_total,
            "errors": sum(r["errors"] for r in runs),
            "per_round_requests_per_s": [r["requests_per_s"] for r in runs]}


def wrk(port: int, endpoint: str, seconds: int, connections: int) -> dict[str, Any]:
    if endpoint == "search":
        script_text = SEARCH_LUA % ", ".join(json.dumps(q.replace(" ", "+").replace("?", "%3F")) for q in QUERIES)
    else:
        script_text = ASK_LUA % ", ".join(json.dumps(json.dumps({"question": q})) for q in QUESTIONS)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(script_text)
    try:
        out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script.name,
                              f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True,
                             timeout=seconds + 60).stdout
    finally:
        os.unlink(script.name)
    pct = {p: _ms(v, u) for p, v, u in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)}
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    requests_done = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return {"requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
            "p50_ms": pct.get("50"), "p90_ms": pct.get("90"), "p99_ms": pct.get("99"),
            "requests": requests_done, "seconds": seconds, "errors": errors}


def tree_cpu_s(pid: int) -> float:
    """User and system CPU seconds of ``pid`` and all its descendants (nginx, gunicorn and their workers)."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for p in [pid, *descendants(pid)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def descendants(pid: int) -> list[int]:
    children = gunicorn_workers(pid)  # the children of any process, as pgrep -P lists them
    return [*children, *(d for c in children for d in descendants(c))]


def _ms(value: str, unit: str) -> float:
    return round(float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit], 3)


def pss_run(index: Path, workers: int) -> float:
    env = dict(os.environ, QA_API_INDEX_DIR=str(index), QA_API_WORKERS=str(workers))
    argv = [sys.executable, "-m", "gunicorn", "-c", "python:qa_api.serving.gunicorn_conf",
            "bench.http_app:create_app()"]
    port, server = start(env, argv)
    try:
        words = "+".join(f"w{r}" for r in (3, 50, 700, 9000))
        for i in range(200 * workers):  # every worker serves some: each touches the pages it needs
            requests.get(f"http://127.0.0.1:{port}/v1/search?q={words}+w{i * 37}&top_k=10", timeout=30)
        pids = [server.pid, *gunicorn_workers(server.pid)]
        return round(sum(pss_kb(p) for p in pids) / 1024, 1)
    finally:
        stop(server)


def pss_kb(pid: int) -> int:
    text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    return int(re.search(r"^Pss:\s+(\d+) kB", text, re.M).group(1))  # type: ignore[union-attr]


def start(env: dict[str, str], argv: list[str]) -> tuple[int, subprocess.Popen[bytes]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(env, QA_API_HOST="127.0.0.1", QA_API_PORT=str(port))
    env.pop("PORT", None)
    server = subprocess.Popen(argv, env=env, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                time.sleep(1)  # let every worker finish booting
                return port, server
        except requests.RequestException:  # not listening yet, or busy loading the index
            time.sleep(0.3)
        if server.poll() is not None:
            break
    stop(server)
    raise SystemExit("bench/http: the server did not start")


def stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


if __name__ == "__main__":
    sys.exit(main())
