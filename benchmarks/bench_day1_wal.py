"""Benchmark: what a delivery day leaves in DuckDB's WAL, and what the checkpoint that writes it costs.

    .venv/bin/python benchmarks/bench_day1_wal.py --from DIR --db day.duckdb [--day 2026-10-01]

Loads one delivery day of a generator folder (as `utilityflow load` does, staging ahead included) into a fresh
warehouse while an extra connection keeps the database open, so the run's end does not checkpoint. Prints the
load's seconds, the WAL left behind and the seconds of the `CHECKPOINT` that then writes it into the database
file. In a whole month that checkpoint happens later, inside some commit, as a stall of the loading threads.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--from", dest="from_dir", type=Path, required=True, help="a generator output folder")
    ap.add_argument("--db", type=Path, required=True, help="the DuckDB file to create (overwritten)")
    ap.add_argument("--day", default=None, help="the delivery day (YYYY-MM-DD); default: the first")
    args = ap.parse_args()

    from loaders import run
    from loaders.sources.delivery import parse_name
    from warehouse.engine import create_engine
    from warehouse.migrate import migrate

    wal = Path(f"{args.db}.wal")
    for stale in (args.db, wal):
        stale.unlink(missing_ok=True)
    engine = create_engine(f"duckdb:///{args.db}")
    migrate(engine)
    files = run.delivery_files(args.from_dir)
    day = args.day or parse_name(files[0]).day.isoformat()
    files = [f for f in files if parse_name(f).day.isoformat() == day]
    with engine.connect() as held:  # keeps the database open past the run's own connections
        start = time.perf_counter()
        summary = run.load_files(engine, files, match=False)
        loaded = time.perf_counter() - start
        wal_mb = wal.stat().st_size / 1e6 if wal.exists() else 0.0
        start = time.perf_counter()
        held.exec_driver_sql("CHECKPOINT")
        checkpoint = time.perf_counter() - start
    print(json.dumps({"day": day, "files": len(files), "failed": summary.count("failed"), "load_s": round(loaded, 1),
                      "wal_mb": round(wal_mb, 1), "checkpoint_s": round(checkpoint, 1)}, indent=1))


if __name__ == "__main__":
    main()
