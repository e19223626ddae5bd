"""Hostile clients on loopback, run in a process of their own so they never share a GIL with the clients measured:

    python -m tests.hostile URL --slow-bodies 64 --slowloris 200 --stalled-bodies 16 --seconds 60

Each connection sends its request start, then one byte a second: a slow body sends a JSON body, a slowloris
the rest of its headers; a stalled body sends half a body and then nothing. Whenever the server ends a
connection, it is opened again within a second (spread at random, so this process's own work of reconnecting
does not land on the machine all at once), so the number of each kind stays the same for the whole run. Prints one JSON
object: per kind, each connection's start and end (seconds since the run began; end null when still open) and
the first line the server answered, if any.
"""

from __future__ import annotations

import argparse
import json
import random
import selectors
import socket
import time
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

BODY_BYTES = 65536
HEADS = {
    "slow_body": (b"POST /v1/ask HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                  b"Content-Length: %d\r\n\r\n{\"question\": \"" % BODY_BYTES),
    "slowloris": b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ",
    "stalled_body": (b"POST /v1/ask HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n{\"question\": \"stalled"),
}


@dataclass
class Connection:
    kind: str
    started: float
    ended: float | None = None
    answer: str = ""


def run(url: str, counts: dict[str, int], seconds: float) -> dict[str, list[dict[str, object]]]:
    parts = urlsplit(url)
    address = (parts.hostname or "127.0.0.1", parts.port or 80)
    selector = selectors.DefaultSelector()
    start = time.monotonic()
    done: list[Connection] = []
    reopen: list[tuple[float, str]] = []
    rng = random.Random(18)

    def open_one(kind: str) -> None:
        sock = socket.create_connection(address, timeout=5)
        sock.sendall(HEADS[kind])
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ, Connection(kind, time.monotonic() - start))

    def close(sock: socket.socket, conn: Connection, answer: bytes) -> None:
        selector.unregister(sock)
        sock.close()
        conn.ended = time.monotonic() - start
        conn.answer = answer.split(b"\r\n", 1)[0].decode("latin-1")
        done.append(conn)
        reopen.append((time.monotonic() + rng.random(), conn.kind))

    for kind, n in counts.items():
        for _ in range(n):
            open_one(kind)
    next_tick = time.monotonic() + 1
    while time.monotonic() - start < seconds:
        reopen.sort()
        while reopen and reopen[0][0] <= time.monotonic():
            open_one(reopen.pop(0)[1])
        wake = min(next_tick, reopen[0][0]) if reopen else next_tick
        for key, _ in selector.select(timeout=max(0.0, wake - time.monotonic())):
            sock, conn = key.fileobj, key.data
            assert isinstance(sock, socket.socket) and isinstance(conn, Connection)
            try:
                answer = sock.recv(4096)
            except OSError:
                answer = b""
            close(sock, conn, answer)
        if time.monotonic() >= next_tick:
            next_tick += 1
            for key in list(selector.get_map().values()):
                if key.data.kind == "stalled_body":
                    continue
                try:
                    key.fileobj.send(b"x")  # type: ignore[union-attr]
                except OSError:
                    close(key.fileobj, key.data, b"")  # type: ignore[arg-type]
    still_open = [key.data for key in selector.get_map().values()]
    for key in list(selector.get_map().values()):
        key.fileobj.close()  # type: ignore[union-attr]
    report: dict[str, list[dict[str, object]]] = {kind: [] for kind in counts}
    for conn in [*done, *still_open]:
        report[conn.kind].append(asdict(conn))
    return report


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.hostile", description=__doc__.split("\n")[0])
    parser.add_argument("url")
    parser.add_argument("--slow-bodies", type=int, default=64)
    parser.add_argument("--slowloris", type=int, default=200)
    parser.add_argument("--stalled-bodies", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    counts = {"slow_body": args.slow_bodies, "slowloris": args.slowloris, "stalled_body": args.stalled_bodies}
    print(json.dumps(run(args.url, counts, args.seconds)))


if __name__ == "__main__":
    main()
