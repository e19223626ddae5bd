"""The corpus: files read into documents and split into the passages a reader sees, with offsets.

Layers, each importing only those before it: ``blocks`` (what a reader hands on) <- ``paragraphs`` (plain text
read as a person does), ``sentences`` (sentence ends, windows), ``display`` <- ``formats`` (one reader per kind of
file) <- ``documents`` (passages, ids, sections) <- ``files`` (the corpus directory).
"""

from .display import display_text
from .documents import Corpus, Document, Passage, build_document, passage_id_stem, split_document
from .files import (
    READING_VERSION,
    FileRead,
    checksum_of,
    corpus_checksum,
    corpus_files,
    corpus_of,
    load_corpus,
    read_document,
    read_file,
)
from .sentences import WINDOW_CHARS

__all__ = ["READING_VERSION", "WINDOW_CHARS", "Corpus", "Document", "FileRead", "Passage", "build_document",
           "checksum_of", "corpus_checksum", "corpus_files", "corpus_of", "display_text", "load_corpus",
           "passage_id_stem", "read_document", "read_file", "split_document"]
