"""The corpus: files read into documents and split into the passages a reader sees, with offsets."""

from .reader import (
    Corpus,
    Document,
    Passage,
    checksum_of,
    corpus_checksum,
    corpus_files,
    load_corpus,
    passage_id_stem,
    read_document,
    split_document,
)

__all__ = ["Corpus", "Document", "Passage", "checksum_of", "corpus_checksum", "corpus_files", "load_corpus",
           "passage_id_stem", "read_document", "split_document"]
