"""``bench/http``: /v1/search and /v1/ask over HTTP on loopback, driven by wrk for a bounded time.

Default: the seed corpus, the README's 2 workers, ``qa-api serve`` as ``make run`` starts it (nginx in front of
gunicorn) against a baseline of the setup before it (gunicorn alone, with the custom worker kept in
``bench/baseline``), both running at once; each endpoint gets ``--seconds`` of wrk per setup, in alternating
rounds so that the machine's other load falls on both alike. Prints requests/s, latency percentiles and
errors per setup and endpoint, and each throughput's ratio to the baseline's. Then the cost of metrics and the
access log: two servers side by side, one with both on (its log
written to a file, as a container's goes to a pipe) and one with both off (``QA_API_METRICS=false
QA_API_ACCESS_LOG=false``), and a second one without (``same_server_difference_pct`` shows how far two
identical servers differ in the same run), driven by wrk in turns for ``--compare-rounds`` rounds of
``--compare-seconds`` each; ``cost_pct`` is how much fewer requests/s (median of rounds) the observed server
answered. On a machine that other work keeps busy those rates swing widely, so ``in_process`` adds a figure
such load cannot inflate (``bench/observe.py``): the fastest CPU time per request of a search with and of
the observation alone.


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
import statistics
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
    parser.add_argument("--compare-rounds", type=int, default=9,
                        help="rounds of the metrics-and-logging cost comparison (0: skip it)")
    parser.add_argument("--compare-seconds", type=int, default=4, help="wrk time of each server in each round")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.index:
        report: dict[str, Any] = {"index": str(args.index), "pss_mb": {w: pss_run(args.index, w) for w in (1, 2)}}
        report["two_over_one"] = round(report["pss_mb"][2] / report["pss_mb"][1], 3)
    else:
        report = throughput_run(args.workers, args.seconds, args.connections)
        if args.compare_rounds:
            report["observability"] = observability_run(args.workers, args.compare_seconds, args.connections,
                                                        args.compare_rounds)
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


OBSERVABILITY_OFF = {"QA_API_METRICS": "false", "QA_API_ACCESS_LOG": "false"}


def observability_run(workers: int, seconds: int, connections: int, rounds: int) -> dict[str, Any]:
    """Requests/s with metrics and the access log on and off, on two live servers driven in turns."""
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, QA_API_CORPUS_DIR=str(ROOT / "seeds"), QA_API_INDEX_DIR=str(Path(tmp) / "index"),
                   QA_API_WORKERS=str(workers))
        subprocess.run([sys.executable, "-m", "qa_api", "index"], env=env, cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, timeout=600)
        log = Path(tmp) / "access.log"
        off = dict(env, **OBSERVABILITY_OFF)
        # A second server without, to show in the same run how far two identical servers' figures differ.
        servers = {"with": start(env, [sys.executable, "-m", "qa_api", "serve"], log=log),
                   "without": start(off, [sys.executable, "-m", "qa_api", "serve"]),
                   "without_again": start(off, [sys.executable, "-m", "qa_api", "serve"])}
        rps: dict[str, list[float]] = {name: [] for name in servers}
        cpu_us: dict[str, list[float]] = {name: [] for name in servers}
        requests_sent, errors = 0, 0
        try:
            for r in range(rounds):
                names = list(servers)
                for name in names[r % 3:] + names[: r % 3]:  # each first, second and third in turn
                    port, server = servers[name]
                    cpu_before = tree_cpu_s(server.pid)
                    run = wrk(port, "search", seconds, connections)
                    cpu_us[name].append(round((tree_cpu_s(server.pid) - cpu_before) / run["requests"] * 1e6, 1))
                    rps[name].append(run["requests_per_s"])
                    requests_sent += run["requests"] if name == "with" else 0
                    errors += run["errors"]
        finally:
            for _, server in servers.values():
                stop(server)
        logged = sum(1 for line in log.read_text().splitlines() if '"logger": "qa_api.access"' in line)
    median = {name: statistics.median(values) for name, values in rps.items()}
    cpu = {name: statistics.median(values) for name, values in cpu_us.items()}
    return {"rounds": rounds, "seconds_each": seconds, "requests_per_s": rps,
            "median_with": median["with"], "median_without": median["without"],
            "cost_pct": round((1 - median["with"] / median["without"]) * 100, 2),
            "same_server_difference_pct": round((1 - median["without_again"] / median["without"]) * 100, 2),
            # The servers' own CPU time per request (master and workers, in 10 ms ticks): a cross-check.
            "server_cpu_us_per_request": cpu_us, "cpu_cost_pct": round((cpu["with"] / cpu["without"] - 1) * 100, 2),
            "same_server_cpu_difference_pct": round((cpu["without_again"] / cpu["without"] - 1) * 100, 2),
            "errors": errors, "access_lines_written": logged, "requests_to_observed_server": requests_sent,
            "in_process": observation_cost()}


def observation_cost(rounds: int = 15, requests: int = 300) -> dict[str, float]:
    """CPU time per request, in this process: a search through the app with metrics and the access log off,
    and the observation of a request (metrics, access line, id) by itself; the fastest of ``rounds`` rounds
    of each, which other load on the machine can only slow."""
    with tempfile.TemporaryDirectory() as tmp:
        return json.loads(subprocess.run(
            [sys.executable, "-m", "bench.observe", str(rounds), str(requests)], cwd=ROOT, check=True, timeout=600,
            capture_output=True, text=True, env=dict(os.environ, PROMETHEUS_MULTIPROC_DIR=tmp)).stdout)


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


def start(env: dict[str, str], argv: list[str], log: Path | None = None) -> tuple[int, subprocess.Popen[bytes]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(env, QA_API_HOST="127.0.0.1", QA_API_PORT=str(port))
    env.pop("PORT", None)
    with open(log or os.devnull, "wb") as out:
        server = subprocess.Popen(argv, env=env, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL,
                                  stderr=out)
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
