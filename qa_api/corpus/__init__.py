"""The corpus: files read into documents and split into the passages a reader sees, with offsets.

Layers, each importing only those before it: ``blocks`` (what a reader hands on) <- ``paragraphs`` (plain text
read as a person does), ``sentences`` (sentence ends, windows), ``display`` <- ``formats`` (one reader per kind of
file) <- ``documents`` (passages, ids, sections) <- ``files`` (the corpus directory).
"""

from .display import display_text
from .documents import Corpus, Document, Passage, build_document, passage_id_stem, split_document
from .files import READING_VERSION, corpus_checksum, corpus_files, load_corpus, read_document
from .sentences import WINDOW_CHARS

__all__ = ["READING_VERSION", "WINDOW_CHARS", "Corpus", "Document", "Passage", "build_document", "corpus_checksum",
           "corpus_files", "display_text", "load_corpus", "passage_id_stem", "read_document", "split_document"]
