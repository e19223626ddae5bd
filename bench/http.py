"""``bench/http``: /v1/search under gunicorn on loopback, driven by wrk for a bounded time.

Default: the seed corpus, the README's worker count, 30 s; prints requests/s, latency percentiles and
errors; then the cost of metrics and the access log: two servers side by side, one with both on (its log
written to a file, as a container's goes to a pipe) and one with both off (``QA_API_METRICS=false
QA_API_ACCESS_LOG=false``), and a second one without (``same_server_difference_pct`` shows how far two
identical servers differ in the same run), driven by wrk in turns for ``--compare-rounds`` rounds of
``--compare-seconds`` each; ``cost_pct`` is how much fewer requests/s (median of rounds) the observed server
answered. On a machine that other work keeps busy those rates swing widely, so ``in_process`` adds a figure
such load cannot inflate (``bench/observe.py``): the fastest CPU time per request of a search with and of
the observation alone.

``--index DIR`` serves a benchmark index (``bench.search`` writes one) instead and reports the proportional
set size (PSS, /proc/PID/smaps_rollup) of master + workers with 1 and with 2 workers, after load has touched
the index in every worker.
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
LUA = """
local queries = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/v1/search?top_k=5&q=" .. queries[(i %% #queries) + 1])
end
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/http", description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default: the README's 2)")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=4,
                        help="open connections (default 4: a sync worker serves one at a time, more only queue)")
    parser.add_argument("--index", type=Path, help="a bench.search qa-api index: measure PSS for 1 and 2 workers")
    parser.add_argument("--compare-rounds", type=int, default=9,
                        help="rounds of the with/without metrics and logging comparison (0: skip it)")
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
        port, server = start(env, [sys.executable, "-m", "qa_api", "serve"])
        try:
            return {"workers": workers, "seconds": seconds, "connections": connections,
                    **wrk(port, seconds, connections)}
        finally:
            stop(server)


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
                    cpu_before = server_cpu_s(server.pid)
                    run = wrk(port, seconds, connections)
                    cpu_us[name].append(round((server_cpu_s(server.pid) - cpu_before) / run["requests"] * 1e6, 1))
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


def server_cpu_s(master: int) -> float:
    """User and system CPU seconds of a gunicorn master and its workers so far."""
    ticks = 0
    for pid in (master, *gunicorn_workers(master)):
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def wrk(port: int, seconds: int, connections: int) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA % ", ".join(json.dumps(q.replace(" ", "+").replace("?", "%3F")) for q in QUERIES))
    try:
        out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script.name,
                              f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True,
                             timeout=seconds + 60).stdout
    finally:
        os.unlink(script.name)
    pct = {p: _ms(v, u) for p, v, u in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)}
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return {"requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
            "p50_ms": pct.get("50"), "p90_ms": pct.get("90"), "p99_ms": pct.get("99"),
            "requests": int(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
            "errors": errors, "wrk": out}


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
