"""Fixed-rate load against a qa-api server on loopback, with optional faults during the run.

    python -m bench.load                         # 60 s at 40 requests/s against a fresh `qa-api serve`
    python -m bench.load --duration 10 --kill-worker-at 5
    python -m bench.load --url http://127.0.0.1:8000 --rate 80

Requests are scheduled at a fixed rate whatever the server does (open loop), and latency is measured from
each request's scheduled time, so a stalled server shows up in the percentiles instead of slowing the
load. The mix is the dev set's questions, alternately as ``POST /v1/ask`` and ``GET /v1/search``.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
CLIENT_THREADS = 24
REQUEST_TIMEOUT_S = 10


@dataclass(frozen=True)
class Outcome:
    scheduled: float  # monotonic time the request was due
    sent: float
    done: float
    status: int | None  # None: no HTTP response (connection error, timeout)
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class LoadReport:
    rate: float
    duration_s: float
    outcomes: list[Outcome] = field(default_factory=list)
    events: dict[str, float] = field(default_factory=dict)  # name -> monotonic time
    active: int = 0  # requests sent and not yet answered, right now

    @property
    def errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    def percentile_ms(self, p: float) -> float:
        latencies = sorted(o.done - o.scheduled for o in self.outcomes)
        if not latencies:
            return 0.0
        return 1000 * latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))]

    def in_flight_at(self, moment: float) -> int:
        return sum(1 for o in self.outcomes if o.sent <= moment < o.done)

    def in_flight_during(self, start: float, end: float) -> int:
        """Requests open at any moment between ``start`` and ``end`` (a worker's last moments)."""
        return sum(1 for o in self.outcomes if o.sent <= end and o.done > start)

    def summary(self) -> dict[str, object]:
        errors = self.errors
        return {
            "rate_per_s": self.rate, "duration_s": self.duration_s, "requests": len(self.outcomes),
            "errors": len(errors), "p50_ms": round(self.percentile_ms(50), 1),
            "p99_ms": round(self.percentile_ms(99), 1), "max_ms": round(self.percentile_ms(100), 1),
            "error_kinds": sorted({e.error or str(e.status) for e in errors}),
            **{f"in_flight_at_{name}": self.in_flight_at(t) for name, t in self.events.items()},
            **({"in_flight_while_killed": self.in_flight_during(self.events["worker_kill"], self.events["worker_gone"])}
               if {"worker_kill", "worker_gone"} <= self.events.keys() else {}),
        }


def request_mix() -> list[tuple[str, str, dict[str, object]]]:
    """(method, path, JSON body or query) for each dev question, as an ask and as a search."""
    lines = (ROOT / "eval" / "dev.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines if line.strip()]
    mix: list[tuple[str, str, dict[str, object]]] = []
    for q in questions:
        mix.append(("POST", "/v1/ask", {"question": q, "top_k": 3}))
        mix.append(("GET", "/v1/search", {"q": q, "top_k": 5}))
    return mix


Fault = Callable[[LoadReport], str]


def run_load(url: str, rate: float, duration_s: float, at: dict[float, Fault] | None = None) -> LoadReport:
    """Send ``rate`` requests a second for ``duration_s``; ``at`` maps seconds into the run to a fault to
    inject then (a callable given the live report, returning the event's name, whose time is recorded)."""
    report = LoadReport(rate, duration_s)
    mix = request_mix()
    due: queue.Queue[tuple[float, int] | None] = queue.Queue()
    lock = threading.Lock()

    def client() -> None:
        session = requests.Session()
        while (item := due.get()) is not None:
            scheduled, n = item
            time.sleep(max(0.0, scheduled - time.monotonic()))
            with lock:
                report.active += 1
            outcome = _send(session, url, mix[n % len(mix)], scheduled)
            with lock:
                report.active -= 1
                report.outcomes.append(outcome)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(CLIENT_THREADS)]
    for t in threads:
        t.start()
    start = time.monotonic()
    faults = sorted((at or {}).items())
    for n in range(int(rate * duration_s)):
        scheduled = start + n / rate
        while faults and faults[0][0] <= n / rate:
            time.sleep(max(0.0, start + faults[0][0] - time.monotonic()))
            fault = faults.pop(0)[1]
            # Beside the schedule, not in it: a fault that waits for its moment must not stall the load.
            threading.Thread(target=lambda f=fault: report.events.__setitem__(f(report), time.monotonic()),
                             daemon=True).start()
        due.put((scheduled, n))
        time.sleep(max(0.0, scheduled - time.monotonic() - 0.05))  # stay just ahead of the schedule
    for _ in threads:
        due.put(None)
    for t in threads:
        t.join(timeout=REQUEST_TIMEOUT_S + duration_s)
    return report


def _send(session: requests.Session, url: str, request: tuple[str, str, dict[str, object]],
          scheduled: float) -> Outcome:
    method, path, payload = request
    sent = time.monotonic()
    try:
        if method == "POST":
            response = session.post(url + path, json=payload, timeout=REQUEST_TIMEOUT_S)
        else:
            response = session.get(url + path, params=payload, timeout=REQUEST_TIMEOUT_S)
        response.content  # noqa: B018 - read the whole body before stopping the clock
        return Outcome(scheduled, sent, time.monotonic(), response.status_code)
    except requests.RequestException as exc:
        return Outcome(scheduled, sent, time.monotonic(), None, type(exc).__name__)


def gunicorn_workers(master_pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(master_pid)], capture_output=True, text=True, check=False)
    return sorted(int(p) for p in found.stdout.split())


def gunicorn_master(server_pid: int) -> int:
    """The gunicorn master of a server started as ``server_pid``: that process itself (gunicorn alone), or its
    child running gunicorn (``qa-api serve`` with nginx in front)."""
    if _runs_gunicorn(server_pid):
        return server_pid
    return next((child for child in gunicorn_workers(server_pid) if _runs_gunicorn(child)), server_pid)


def _runs_gunicorn(pid: int) -> bool:
    try:
        return b"gunicorn" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def kill_one_worker(master_pid: int, wait_for_in_flight_s: float = 2.0) -> Fault:
    """SIGKILL a worker, at a moment when requests are in flight (waiting up to ``wait_for_in_flight_s``), so
    the run shows what a crash costs the requests it interrupts."""
    def kill(report: LoadReport) -> str:
        victim = gunicorn_workers(master_pid)[0]  # looked up first: pgrep takes longer than a request
        deadline = time.monotonic() + wait_for_in_flight_s
        while report.active == 0 and time.monotonic() < deadline:
            time.sleep(0.0001)
        report.events["worker_kill"] = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        # A request can still reach the victim's sockets until the kernel has closed them at its exit, so
        # the requests it costs are those open between the signal and its end.
        deadline = time.monotonic() + wait_for_in_flight_s
        while _alive(victim) and time.monotonic() < deadline:
            time.sleep(0.0001)
        return "worker_gone"
    return kill


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="server to load (default: start `qa-api serve` on a free loopback port)")
    parser.add_argument("--rate", type=float, default=40, help="requests per second (default 40)")
    parser.add_argument("--duration", type=float, default=60, help="seconds (default 60)")
    parser.add_argument("--kill-worker-at", type=float, help="SIGKILL one gunicorn worker this many seconds in")
    args = parser.parse_args(argv)
    if args.url:
        report = run_load(args.url, args.rate, args.duration)
    else:
        from tests.live import start_server

        with tempfile.TemporaryDirectory() as tmp:
            server = start_server(dict(os.environ), Path(tmp) / "server.log")
            try:
                faults = {args.kill_worker_at: kill_one_worker(server.gunicorn_master())} if args.kill_worker_at else {}
                report = run_load(server.url, args.rate, args.duration, faults)
            finally:
                server.stop()
    print(json.dumps(report.summary(), indent=2))
    return 0 if not report.errors or args.kill_worker_at else 1


if __name__ == "__main__":
    sys.exit(main())
