"""The registry's run cost against the floor: a hand-written single scan of the same metrics.

    .venv/bin/python benchmarks/bench_checks.py [--rows 2000000] [--runs 3] [--postgres URL]

Builds a customer-shaped table (ids with duplicates, emails, phones, zips, account numbers, states,
tariffs, kWh, timestamps; injected defects) and runs the 13-check suite of issue 5 through
`monitor.runner.run_suite` (samples on) and through one hand-written SELECT. Prints the median of
`--runs` runs, statement counts and the ratio native/floor.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import sqlalchemy as sa

from checks.suite import parse_suite
from monitor.runner import run_suite

SUITE = """
dataset: bench_customer
stage: cleansed
checks:
  - {id: email_present, type: not_null, column: email}
  - {id: id_unique, type: unique, column: customer_id}
  - {id: email_valid, type: pattern, column: email, pattern: email}
  - {id: phone_valid, type: pattern, column: phone, pattern: phone_e164}
  - {id: zip_valid, type: pattern, column: zip, pattern: zip5}
  - {id: account_valid, type: pattern, column: account_number, pattern: cis_contract_account}
  - {id: state_valid, type: accepted_values, column: state, values: [TX, OK, LA, NM, AR]}
  - {id: tariff_valid, type: accepted_values, column: tariff, values: [RES1, RES2, COM1]}
  - {id: kwh_range, type: range, column: kwh, min: 0, max: 5000}
  - {id: zip_len, type: length, column: zip, min: 5, max: 5}
  - {id: not_future, type: range, column: created_at, max: now}
  - {id: phone_missing_rate, type: not_null, column: phone, pass_rate: {warn: 0.99, fail: 0.95}}
  - {id: kwh_mean, type: range, column: kwh, of: mean, min: 100, max: 2000}
"""

EMAIL = "^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+([.][A-Za-z0-9-]+)*[.][A-Za-z]{2,}$"
FLOOR = f"""
SELECT COUNT(*), COUNT(*) FILTER (WHERE email IS NULL OR TRIM(email) = ''),
  COUNT(customer_id) - COUNT(DISTINCT customer_id),
  COUNT(*) FILTER (WHERE NOT REGEXP_OP(email, '{EMAIL}')),
  COUNT(*) FILTER (WHERE NOT REGEXP_OP(phone, '^[+][1-9][0-9]{{1,14}}$')),
  COUNT(*) FILTER (WHERE NOT REGEXP_OP(zip, '^[0-9]{{5}}$')),
  COUNT(*) FILTER (WHERE NOT REGEXP_OP(account_number, '^[0-9]{{12}}$')),
  COUNT(*) FILTER (WHERE state NOT IN ('TX', 'OK', 'LA', 'NM', 'AR')),
  COUNT(*) FILTER (WHERE tariff NOT IN ('RES1', 'RES2', 'COM1')),
  COUNT(*) FILTER (WHERE kwh < 0 OR kwh > 5000), COUNT(*) FILTER (WHERE LENGTH(zip) <> 5),
  COUNT(*) FILTER (WHERE created_at > CURRENT_TIMESTAMP), COUNT(*) FILTER (WHERE phone IS NULL), AVG(kwh)
FROM bench_customer
"""

BUILD = {
    "duckdb": """CREATE OR REPLACE TABLE bench_customer AS SELECT
        lpad(CAST(i % {ids} AS VARCHAR), 10, '0') AS customer_id,
        CASE WHEN i % 53 = 0 THEN 'bad-email' WHEN i % 97 = 0 THEN NULL ELSE 'user' || i || '@example.com' END AS email,
        CASE WHEN i % 41 = 0 THEN '555-' || i WHEN i % 89 = 0 THEN NULL
             ELSE '+1555' || lpad(CAST(i % 10000000 AS VARCHAR), 7, '0') END AS phone,
        CASE WHEN i % 61 = 0 THEN '7500' ELSE lpad(CAST(i % 99999 AS VARCHAR), 5, '0') END AS zip,
        CASE WHEN i % 71 = 0 THEN '12345' ELSE lpad(CAST(i AS VARCHAR), 12, '0') END AS account_number,
        (['TX', 'OK', 'LA', 'NM', 'AR', 'ZZ'])[1 + i % 6] AS state,
        (['RES1', 'RES2', 'COM1', 'XXX'])[1 + i % 4] AS tariff,
        CASE WHEN i % 101 = 0 THEN -5.0 ELSE (i % 3000) * 1.0 END AS kwh,
        TIMESTAMP '2020-01-01' + to_seconds(i % 150000000) AS created_at
      FROM range({rows}) t(i)""",
    "postgresql": """DROP TABLE IF EXISTS bench_customer; CREATE TABLE bench_customer AS SELECT
        lpad(CAST(i % {ids} AS TEXT), 10, '0') AS customer_id,
        CASE WHEN i % 53 = 0 THEN 'bad-email' WHEN i % 97 = 0 THEN NULL ELSE 'user' || i || '@example.com' END AS email,
        CASE WHEN i % 41 = 0 THEN '555-' || i WHEN i % 89 = 0 THEN NULL
             ELSE '+1555' || lpad(CAST(i % 10000000 AS TEXT), 7, '0') END AS phone,
        CASE WHEN i % 61 = 0 THEN '7500' ELSE lpad(CAST(i % 99999 AS TEXT), 5, '0') END AS zip,
        CASE WHEN i % 71 = 0 THEN '12345' ELSE lpad(CAST(i AS TEXT), 12, '0') END AS account_number,
        (ARRAY['TX', 'OK', 'LA', 'NM', 'AR', 'ZZ'])[1 + i % 6] AS state,
        (ARRAY['RES1', 'RES2', 'COM1', 'XXX'])[1 + i % 4] AS tariff,
        CASE WHEN i % 101 = 0 THEN -5.0 ELSE (i % 3000) * 1.0 END::double precision AS kwh,
        TIMESTAMP '2020-01-01' + (i % 150000000) * INTERVAL '1 second' AS created_at
      FROM generate_series(0, {rows} - 1) AS t(i); ANALYZE bench_customer""",
}


def floor_sql(dialect: str) -> str:
    """FLOOR in the engine's regex syntax: DuckDB regexp_matches(a, b), PostgreSQL a ~ b."""
    import re

    if dialect == "duckdb":
        sql = FLOOR.replace("REGEXP_OP(", "regexp_matches(")
    else:
        sql = re.sub(r"REGEXP_OP\((\w+), ('[^']*')\)", r"(\1 ~ \2)", FLOOR)
    return sql.replace("{{", "{").replace("}}", "}")


def median_seconds(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench(engine: sa.Engine, rows: int, runs: int) -> None:
    name = engine.dialect.name
    with engine.begin() as conn:
        for stmt in BUILD[name].format(rows=rows, ids=int(rows * 0.995)).split("; "):
            conn.execute(sa.text(stmt))
    sql = floor_sql(name)

    def floor() -> object:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql)).one()

    suite = parse_suite(SUITE)
    last: list[object] = []

    def native() -> object:
        last[:] = [run_suite(engine, suite)]
        return last[0]

    floor()
    native()  # warm caches for both
    times: dict[str, list[float]] = {"floor": [], "native": []}
    for _ in range(runs):  # alternated: a shared machine's drifting load hits both alike
        for label, fn in (("floor", floor), ("native", native)):
            t0 = time.perf_counter()
            fn()
            times[label].append(time.perf_counter() - t0)
    f, n = statistics.median(times["floor"]), statistics.median(times["native"])
    run = last[0]
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{name}: {rows:,} rows, 13 checks, median of {runs} (floor and native alternated); load average {load}")
    print(f"  floor (hand-written single scan): {f:.3f} s, 1 statement")
    print(f"  native (samples on):              {n:.3f} s, {run.statements} statements")  # type: ignore[attr-defined]
    print(f"  native / floor:                   {n / f:.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--postgres", default=None, help="also run on this PostgreSQL URL")
    args = ap.parse_args()
    bench(sa.create_engine("duckdb:///:memory:", poolclass=sa.pool.StaticPool), args.rows, args.runs)
    if args.postgres:
        from warehouse.engine import create_engine

        schema = f"uf_bench_{os.getpid()}"  # a schema of its own, dropped afterwards
        admin = sa.create_engine(args.postgres)
        with admin.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        try:
            bench(create_engine(args.postgres, schema=schema), args.rows, args.runs)
        finally:
            with admin.begin() as conn:
                conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))


if __name__ == "__main__":
    main()
