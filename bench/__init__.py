"""Benchmarks of flexorch against the sandbox: numbers, not assertions (`python -m bench`)."""
