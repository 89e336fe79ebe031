"""Benchmark: customer matching alone, as the first run after a month's loads (what session 10 tuned on).

    # a loaded warehouse (e.g. bench_load_timeline.py's --db) -> a copy whose matching is undone, matched again
    .venv/bin/python benchmarks/bench_match.py --copy-of month.duckdb --db match.duckdb --runs 2

Each run copies the warehouse, empties what matching wrote (`match_record`, `match_pair`, `match_run`,
`customer_xref`, `dim_customer`) and the customer keys it filled in (`dim_account.golden_customer_id`, the facts'
`customer_sk`), then times `loaders.match.match_customers` under the loader's DuckDB memory limit. Prints each
run's seconds, the golden customer count and the slowest SQL statements of the last run. To compare two code
versions, run it from each checkout in turn (the machine's speed drifts; alternate them).
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path
from typing import Any

RESET = ("DELETE FROM match_record", "DELETE FROM match_pair", "DELETE FROM match_run", "DELETE FROM customer_xref",
         "DELETE FROM dim_customer", "UPDATE dim_account SET golden_customer_id = NULL",
         "UPDATE fact_billing_line SET customer_sk = NULL", "UPDATE fact_payment SET customer_sk = NULL",
         "UPDATE fact_interaction SET customer_sk = NULL")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--copy-of", type=Path, required=True, help="a loaded DuckDB warehouse (left as it is)")
    ap.add_argument("--db", type=Path, required=True, help="the working copy (overwritten)")
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()

    import sqlalchemy as sa
    from bench_load_timeline import copy_warehouse  # (scripts run from benchmarks/, which is on sys.path)

    from loaders.match import match_customers
    from loaders.run import DUCKDB_MEMORY_LIMIT
    from warehouse.engine import create_engine

    seconds, statements = [], {}
    for _ in range(args.runs):
        copy_warehouse(args.copy_of, args.db)
        engine = create_engine(f"duckdb:///{args.db}")
        with engine.begin() as conn:
            for sql in RESET:
                conn.execute(sa.text(sql))
        statements = _timed_statements(engine)
        with engine.connect() as keepalive:
            keepalive.exec_driver_sql(f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
            start = time.perf_counter()
            summary = match_customers(engine)
            seconds.append(round(time.perf_counter() - start, 1))
        engine.dispose()
    slowest = sorted(statements.items(), key=lambda kv: -kv[1])[:6]
    print(json.dumps({"seconds": seconds, "records": summary.records, "golden_customers": summary.golden_customers,
                      "links_by_rule": summary.links_by_rule,
                      "slowest_sql_s": {k: round(v, 1) for k, v in slowest}}, indent=1))


def _timed_statements(engine: Any) -> dict[str, float]:
    """Seconds per SQL statement (its first 90 characters) on `engine`, filled as statements run."""
    from sqlalchemy import event

    totals: dict[str, float] = {}
    started: list[float] = []

    @event.listens_for(engine, "before_cursor_execute")
    def before(*_: Any) -> None:
        started.append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def after(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        key = re.sub(r"\s+", " ", statement).strip()[:90]
        totals[key] = totals.get(key, 0.0) + time.perf_counter() - started.pop()

    return totals


if __name__ == "__main__":
    main()
