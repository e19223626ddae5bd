"""The domain's exceptions. The HTTP layer maps each to one problem+json status, in one place.

    QAError
    ├── ConfigError            a setting has an impossible value
    ├── CorpusError            the corpus directory is missing, empty or unreadable
    │   ├── UnreadableDocumentError  one file cannot be read as its kind (not UTF-8, not a PDF, ...)
    │   └── UnsupportedDocumentTypeError  a file of a kind we do not read
    ├── IndexUnavailableError  the index on disk is missing, stale or corrupt (rebuild it)
    ├── EncoderError           the sentence encoder's model files are missing or not the published ones
    ├── SearchBackendError     the search cluster (Solr) refused a request or none of its nodes answered
    ├── WritesUnavailableError documents cannot be written here (an index served without its store)
    └── NotFoundError          a document or passage that does not exist (HTTP 404)
        ├── UnknownSourceError
        └── UnknownPassageError
"""

from __future__ import annotations


class QAError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigError(QAError):
    """A setting has a value the service cannot run with."""


class CorpusError(QAError):
    """The corpus cannot be read."""


class UnreadableDocumentError(CorpusError):
    """One file cannot be read as the kind of file it claims to be; the message says why, and ``source`` names
    the file (set by ``read_document``)."""

    source = ""


class UnsupportedDocumentTypeError(CorpusError):
    """A file of a kind we do not read; the message names the kinds we do."""


class IndexUnavailableError(QAError):
    """The index on disk cannot be used as it is: missing, built from another corpus, or corrupt."""


class EncoderError(QAError):
    """The sentence encoder cannot be used: its weights are missing or differ from the published ones."""


class SearchBackendError(QAError):
    """The search cluster refused a request, or none of its nodes answered in time."""


class WritesUnavailableError(QAError):
    """Documents cannot be written to this corpus: its index is served without the document store."""


class NotFoundError(QAError):
    """Something the client named does not exist."""


class UnknownSourceError(NotFoundError):
    def __init__(self, source: str) -> None:
        super().__init__(f"no document named {source!r} in the corpus")
        self.source = source


class UnknownPassageError(NotFoundError):
    def __init__(self, passage_id: str) -> None:
        super().__init__(f"no passage with id {passage_id!r}")
        self.passage_id = passage_id
