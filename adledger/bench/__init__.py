"""Benchmarks behind `adledger bench ...`: each measures adledger and raw DuckDB on the same input in one run."""
