"""Tools at the edge: the `qa` command, evaluation and benchmarks."""
