"""Helpers that start local servers for the test suite and the benchmarks (``scripts/*.py``), beside the
shell scripts that provision the machine."""
