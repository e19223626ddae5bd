"""Benchmarks: search engines compared on one synthetic corpus (``bench.search``), and the HTTP API under load."""
