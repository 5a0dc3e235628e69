"""Benchmarks: each prints its figures and its ratio to the limit its issue names."""
