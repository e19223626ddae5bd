"""qa-api: question answering over a corpus of text files: BM25 passages, an evidence sentence and short answers.

The package's public names load on first use, so importing one layer (``qa_api.corpus``, say) never loads the
layers above it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .http.app import create_app
    from .service import AskResult, QAService
    from .settings import Settings

if TYPE_CHECKING:
    from .http.app import create_app

__version__ = "0.1.0"
__all__ = ["AskResult", "QAService", "Settings", "__version__", "create_app"]
_HOMES = {"create_app": ".http.app", "AskResult": ".service", "QAService": ".service", "Settings": ".settings"}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(_HOMES[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
