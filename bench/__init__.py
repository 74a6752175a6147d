"""Benchmark of commentluv against peer tools on a loopback corpus (not part of the tests)."""
