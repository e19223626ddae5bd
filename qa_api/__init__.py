"""qa-api: question answering over a corpus of text files, with BM25 retrieval and short answer spans."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .service import AskResult, QAService
from .settings import Settings

if TYPE_CHECKING:
    from .http.app import create_app

__version__ = "0.1.0"
__all__ = ["AskResult", "QAService", "Settings", "__version__", "create_app"]


def __getattr__(name: str) -> Any:
    # The HTTP layer loads on first use only: the gunicorn config imports this package, and must name the
    # metrics directory before prometheus-client (which the HTTP layer imports) is first imported.
    if name == "create_app":
        from .http.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
