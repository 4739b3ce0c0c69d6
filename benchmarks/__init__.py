"""Benchmarks and stress runs for ft, each a module runnable with ``python -m benchmarks.<name>``."""
