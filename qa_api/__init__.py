"""qa-api: question answering over a corpus of text files, with BM25 retrieval and short answer spans."""

from .http.app import create_app
from .service import AskResult, QAService
from .settings import Settings

__version__ = "0.1.0"
__all__ = ["AskResult", "QAService", "Settings", "__version__", "create_app"]
