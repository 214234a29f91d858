"""Smoke tests for the benchmarks: each runs at a tiny size and reports its figures, so none of them rots."""
