"""The app's logs as JSON lines on stderr: one object a line, with the request id when there is a request.

Access lines are written straight to file descriptor 2, one ``write`` each (so lines from several workers
never interleave on a pipe, up to 4 KiB), without the logging machinery, which would cost as much again as
the rest of what a request's observation costs. Every other record goes through ``logging``: it keeps its
message, the id of the request it was logged in (or ``extra={"request_id": ...}``), any fields given as
``extra={"fields": {...}}``, and an exception's traceback in ``error``.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from typing import Any

from . import request_ids

ACCESS_LOGGER = "qa_api.access"
STDERR = 2


def write_access_line(fields: dict[str, Any]) -> None:
    line = {"time": _iso(time.time()), "level": "info", "logger": ACCESS_LOGGER, **fields}
    # ASCII only: a client's text may hold lone surrogates, which a UTF-8 stream could not write.
    data = (json.dumps(line, default=str) + "\n").encode()
    try:
        while data:
            data = data[os.write(STDERR, data):]
    except OSError:  # stderr closed: there is nowhere left to say so
        pass


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {"time": _iso(record.created), "level": record.levelname.lower(),
                                "logger": record.name, "message": record.getMessage()}
        if rid := getattr(record, "request_id", None) or request_ids.current():
            line["request_id"] = rid
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure() -> None:
    """JSON lines on stderr for every logger that reaches the root, unless logging is already set up
    (as ``logging.basicConfig`` does: a host such as pytest may have its own handlers)."""
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def _iso(created: float) -> str:
    """UTC, to the millisecond: 2026-11-26T14:01:17.162Z."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)) + f".{int(created % 1 * 1000):03d}Z"
