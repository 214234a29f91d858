"""Benchmarks at council scale: each module loads its own synthetic data on loopback, measures one thing,
and reports figures judged against the goals in bench/README.md; `python -m bench.run` runs them all."""
