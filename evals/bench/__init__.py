"""Benchmarks run by `make bench`; each prints its figures and adds a section to evals/bench/report.md."""
