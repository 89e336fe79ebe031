"""Benchmark: what a delivery day leaves in DuckDB's WAL, and what the checkpoint that writes it costs.

    .venv/bin/python benchmarks/bench_day1_wal.py --from DIR --db day.duckdb [--day 2026-10-01] [--merges]

Loads one delivery day of a generator folder (as `utilityflow load` does, staging ahead included) into a fresh
warehouse while an extra connection keeps the database open, so the run's end does not checkpoint. Prints the
load's seconds, the WAL left behind and the seconds of the `CHECKPOINT` that then writes it into the database
file. In a whole month that checkpoint happens later, inside some commit, as a stall of the loading threads.

`--merges` loads with DuckDB's merging of partial row groups at checkpoints turned off (`max_vacuum_tasks = 0`),
then times one more checkpoint with it back on: the merging ("vacuum": adjacent row groups that fit in fewer are
rewritten and recompressed) that the day's appends leave for whichever checkpoint comes next.
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
    ap.add_argument("--merges", action="store_true", help="also time the row-group merging the day leaves")
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
    merge_s = None
    with engine.connect() as held:  # keeps the database open past the run's own connections
        if args.merges:
            held.exec_driver_sql("SET max_vacuum_tasks = 0")  # a global setting: every checkpoint of the load
            held.commit()  # (no transaction of this connection open while the load commits)
        start = time.perf_counter()
        summary = run.load_files(engine, files, match=False)
        loaded = time.perf_counter() - start
        wal_mb = wal.stat().st_size / 1e6 if wal.exists() else 0.0
        start = time.perf_counter()
        held.exec_driver_sql("CHECKPOINT")
        checkpoint = time.perf_counter() - start
        if args.merges:
            held.exec_driver_sql("RESET max_vacuum_tasks")
            # (a checkpoint with nothing to write is skipped)
            held.exec_driver_sql("CREATE TABLE uf_bench_touch (x INTEGER)")
            held.commit()
            start = time.perf_counter()
            held.exec_driver_sql("CHECKPOINT")
            merge_s = round(time.perf_counter() - start, 1)
            held.exec_driver_sql("DROP TABLE uf_bench_touch")
            held.commit()
    print(json.dumps({"day": day, "files": len(files), "failed": summary.count("failed"), "load_s": round(loaded, 1),
                      "wal_mb": round(wal_mb, 1), "checkpoint_s": round(checkpoint, 1), "merge_s": merge_s}, indent=1))


if __name__ == "__main__":
    main()
