"""Benchmarks: ``python -m bench NAME`` (see ../shared/BENCH.md)."""
