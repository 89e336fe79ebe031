"""Scoring one appended batch costs a fraction of scoring the whole table (batch-scoped filters, no table scan).

    .venv/bin/python benchmarks/bench_batch_scope.py [--rows 20000000] [--batch-rows 100000] [--runs 3]
        [--warehouse duckdb:////tmp/bench_batch_scope.duckdb]

Builds the 13-check customer table of `bench_checks.py` with `--rows` rows spread over 200 earlier batches,
appends one batch of `--batch-rows` rows, and times `monitor.runner.run_suite` (samples on) on the whole
table (no batch) and on the appended batch only. Prints the medians, statement counts and the ratio
batch/full (target <= 0.1). DuckDB: the appended batch is contiguous, so its row groups' zone maps let the
batch filter skip the rest of the table.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parent))
from bench_checks import BUILD, SUITE, median_seconds  # noqa: E402

from checks.suite import parse_suite  # noqa: E402
from monitor.runner import run_suite  # noqa: E402
from warehouse.engine import create_engine  # noqa: E402

BATCHES = 200


def build(engine: sa.Engine, rows: int, batch_rows: int) -> int:
    """The table with `rows` old rows in BATCHES batches plus one appended batch; returns its batch id."""
    base = BUILD["duckdb"].format(rows=rows + batch_rows, ids=int((rows + batch_rows) * 0.995))
    with engine.begin() as conn:
        for stmt in base.split("; "):
            conn.execute(sa.text(stmt))
    new_batch = BATCHES + 1
    # row i belongs to batch 1 + i * BATCHES // rows for the old rows; the last batch_rows rows are appended
    with engine.begin() as conn:
        conn.execute(sa.text(
            f"CREATE OR REPLACE TABLE bench_customer AS SELECT *, CASE WHEN rn >= {rows} THEN {new_batch} "
            f"ELSE 1 + CAST(rn * {BATCHES} // {rows} AS BIGINT) END AS batch_id "
            "FROM (SELECT *, row_number() OVER () - 1 AS rn FROM bench_customer) ORDER BY rn"
        ))
    return new_batch


def bench(engine: sa.Engine, rows: int, batch_rows: int, runs: int) -> None:
    batch = build(engine, rows, batch_rows)
    suite = parse_suite(SUITE, "bench.yml")
    with engine.connect() as conn:
        n_batch = conn.execute(sa.text(f"SELECT COUNT(*) FROM bench_customer WHERE batch_id = {batch}")).scalar()
    full = run_suite(engine, suite, batch_id=None)
    one = run_suite(engine, suite, batch_id=batch)
    t_full = median_seconds(lambda: run_suite(engine, suite, batch_id=None), runs)
    t_batch = median_seconds(lambda: run_suite(engine, suite, batch_id=batch), runs)
    print(f"{engine.dialect.name}: {rows + batch_rows:,} rows, appended batch {n_batch:,} rows")
    print(f"  full table : {t_full:8.3f} s  ({full.statements} statements)")
    print(f"  one batch  : {t_batch:8.3f} s  ({one.statements} statements)")
    print(f"  ratio batch/full = {t_batch / t_full:.4f}  (target <= 0.1)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=20_000_000)
    ap.add_argument("--batch-rows", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--warehouse", default="duckdb:////tmp/bench_batch_scope.duckdb")
    a = ap.parse_args()
    engine = create_engine(a.warehouse)
    try:
        bench(engine, a.rows, a.batch_rows, a.runs)
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
