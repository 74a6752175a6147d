"""``python -m bench``: run the benchmark and print the tables."""

from bench.run import main

main()
