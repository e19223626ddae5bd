"""The corpus: files read into documents and split into the passages a reader sees, with offsets.

Layers, each importing only those before it: ``blocks`` (what a reader hands on) <- ``paragraphs`` (plain text
read as a person does), ``sentences`` (sentence ends, windows), ``display`` <- ``formats`` (one reader per kind of
file) <- ``documents`` (passages, ids, sections) <- ``files`` (the corpus directory) <- ``store`` (the documents in
SQLite, the source of truth).
"""

from .display import display_text
from .documents import Corpus, Document, Passage, build_document, passage_id_stem, split_document
from .files import (
    READING_VERSION,
    DirectoryFile,
    FileRead,
    SourceFile,
    checksum_of,
    corpus_checksum,
    corpus_files,
    corpus_of,
    directory_files,
    load_corpus,
    read_document,
    read_file,
    read_source,
)
from .sentences import WINDOW_CHARS
from .store import DocumentStore, StoredFile

__all__ = ["READING_VERSION", "WINDOW_CHARS", "Corpus", "DirectoryFile", "Document", "DocumentStore", "FileRead",
           "Passage", "SourceFile", "StoredFile", "build_document", "checksum_of", "corpus_checksum", "corpus_files",
           "corpus_of", "directory_files", "display_text", "load_corpus", "passage_id_stem", "read_document",
           "read_file", "read_source", "split_document"]
