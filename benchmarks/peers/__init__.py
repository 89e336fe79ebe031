"""The peer benchmark behind benchmarks/bench_peers.py, one module per concern.

suite          the 13 checks written once per engine (native YAML lives in bench_checks.py; SodaCL; GX)
table          a result row, the median timer and the printed table with the defect-count agreement
common         what runs on both databases: the floor, native, GX on pandas
on_duckdb      Soda Core 3 in a venv of its own (soda-core-duckdb pins duckdb<1.1); GX SQL: not run, why
on_postgres    Soda Core 3 (soda-core-postgres) and GX 1.x's SQL datasource
"""
