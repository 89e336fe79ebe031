"""UtilityFlow against its peers on the same data in the same run: the hand-written single scan (the floor),
the native engine, Soda Core 3 (samples on and off) and Great Expectations 1.x, on DuckDB and PostgreSQL.

    .venv/bin/python benchmarks/bench_peers.py [--rows 2000000] [--runs 3] \
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test] [--soda-duckdb-venv]

The table is benchmarks/bench_checks.py's customer-shaped table (ids with duplicates, emails, phones, zips,
account numbers, states, tariffs, kWh, timestamps; injected defects) and the suite its 13 checks, written
once per engine: native YAML, SodaCL, a GX expectation suite (same regexes everywhere). Each engine runs
once to warm up, then `--runs` times (the floor's and native's runs alternated, so a shared machine's drifting
load hits both alike); the median is printed with the statements issued, the ratios native/floor,
native/Soda, native/GX, every engine's defect count per check, compared, and the load average.

Where a peer cannot run a case the row says why: GX 1.x's SQL datasource returns empty results on DuckDB
(GX on pandas is timed instead, for scale, with the DataFrame load not counted); Soda Core 3 on DuckDB needs
soda-core-duckdb, which pins duckdb<1.1 and so cannot live in the project's environment — with
`--soda-duckdb-venv` the script builds a venv of its own under ~/.cache/utilityflow/bench/ and runs Soda
there on a Parquet export of the same table (the DuckDB 1.0 file is built outside the timing).

The engines live in benchmarks/peers/ (suite, table, common, on_duckdb, on_postgres).
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_checks import BUILD  # noqa: E402
from peers import on_duckdb, on_postgres  # noqa: E402
from peers.common import floor_and_native_rows, gx_pandas_row  # noqa: E402
from peers.table import report  # noqa: E402


def bench(engine: sa.Engine, rows_n: int, runs: int, soda_venv: bool) -> None:
    name = engine.dialect.name
    with engine.begin() as conn:
        for stmt in BUILD[name].format(rows=rows_n, ids=int(rows_n * 0.995)).split("; "):
            conn.execute(sa.text(stmt))
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")
    rows = floor_and_native_rows(engine, runs)
    if name == "postgresql":
        rows += on_postgres.peer_rows(engine, runs, now)
    else:
        rows += on_duckdb.peer_rows(engine, runs, now, soda_venv)
    rows.append(gx_pandas_row(engine, max(1, min(runs, 3)), now))
    report("DuckDB" if name == "duckdb" else "PostgreSQL", rows_n, runs, rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--postgres", default=None, help="also run on this PostgreSQL URL (a schema of its own)")
    ap.add_argument("--soda-duckdb-venv", action="store_true", help="build a venv with soda-core-duckdb and run it")
    args = ap.parse_args()
    bench(
        sa.create_engine("duckdb:///:memory:", poolclass=sa.pool.StaticPool),
        args.rows,
        args.runs,
        args.soda_duckdb_venv,
    )
    if args.postgres:
        from warehouse.engine import create_engine

        schema = f"uf_bench_{os.getpid()}"
        admin = sa.create_engine(args.postgres)
        with admin.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        try:
            bench(create_engine(args.postgres, schema=schema), args.rows, args.runs, False)
        finally:
            with admin.begin() as conn:
                conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))


if __name__ == "__main__":
    main()
