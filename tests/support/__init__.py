"""Test helpers shared by tests, notebooks' tests and benchmarks."""
