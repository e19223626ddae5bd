"""Benchmarks and load runs (not part of the installed package)."""
