"""Benchmarks: search engines compared on one synthetic corpus (``bench.search``), the HTTP API under load
(``bench.http``, ``bench.load``). Not part of the installed package."""
