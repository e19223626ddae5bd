"""Request ids: the one a client (or a proxy in front) sends in ``X-Request-Id`` when it is sane, else a new one.

The id is echoed in the response header, is the ``instance`` of every problem+json, and is on every log line
about the request, so a user's report can be tied to what the server logged.
"""

from __future__ import annotations

import random
import re

from flask import has_request_context, request

HEADER = "X-Request-Id"
ENVIRON_KEY = "qa_api.request_id"
MAX_LENGTH = 128
# URI-unreserved characters only: an id is safe in a header, a log line and a problem's `instance` URI reference.
_SANE = re.compile(rf"[A-Za-z0-9._~-]{{1,{MAX_LENGTH}}}")


def accept_or_make(incoming: str | None) -> str:
    """The client's id when it is at most 128 characters of ``A-Z a-z 0-9 . _ ~ -``, else a new one."""
    if incoming is not None and _SANE.fullmatch(incoming):
        return incoming
    return make()


def make() -> str:
    """128 random bits as 32 hex digits, like a UUID4's, but without asking the kernel for them each time
    (the random module reseeds itself in every forked worker)."""
    return f"{random.getrandbits(128):032x}"


def current() -> str | None:
    """The id of the request being handled (None outside a request)."""
    if not has_request_context():
        return None
    rid: str | None = request.environ.get(ENVIRON_KEY)
    return rid
