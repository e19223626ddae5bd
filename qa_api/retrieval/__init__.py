"""Retrieval: analysis, the BM25 index (built, stored, loaded) and search over it."""
