"""The app's logs as JSON lines on stderr: one object a line, with the request id when there is a request.

An access line (logger ``qa_api.access``) carries its fields in ``extra={"fields": {...}}``; any other record
keeps its message, with the id of the request it was logged in (or ``extra={"request_id": ...}``), and an
exception its traceback in ``error``.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from . import request_ids

ACCESS = logging.getLogger("qa_api.access")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {"time": _iso(record.created), "level": record.levelname.lower(),
                                "logger": record.name}
        fields: dict[str, Any] | None = getattr(record, "fields", None)
        if fields is None:
            line["message"] = record.getMessage()
            if rid := getattr(record, "request_id", None) or request_ids.current():
                line["request_id"] = rid
        else:
            line.update(fields)
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        # ASCII only: a client's text may hold lone surrogates, which a UTF-8 stream would refuse to write.
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
    return datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
