"""Benchmarks: run with `python3 tasks.py bench [name]`. Never part of the test suite."""
