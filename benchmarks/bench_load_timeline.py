"""Benchmark: where a load's time goes, per thread and per delivery day (what the staging-ahead work was tuned on).

    # a generator folder's day 1 into a fresh warehouse (kept for the next command)
    .venv/bin/python benchmarks/bench_load_timeline.py --from DIR --db day1.duckdb --first 2026-10-01 --last 2026-10-01
    # days 2-30 on a copy of that warehouse, without the final matching
    .venv/bin/python benchmarks/bench_load_timeline.py --from DIR --db work.duckdb --copy-of day1.duckdb \\
        --first 2026-10-02 --last 2026-10-30 --no-match --json timeline.json

Loads the folder's deliveries (in delivery order, as `utilityflow load` does, staging ahead included) and
records when each file's staging ahead (`stage`, on the worker or the run's thread) and turn (`load`) began
and ended, and matching. Prints the total, loader CPU, peak RSS, each thread's busy time and the per-day spans;
`--json` writes every event.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def copy_warehouse(source: Path, target: Path) -> None:
    """`target` becomes a copy of the DuckDB file `source` (shared with bench_match.py)."""
    for stale in (target, Path(f"{target}.wal")):  # a WAL left beside the target would be replayed into the copy
        stale.unlink(missing_ok=True)
    shutil.copy(source, target)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--from", dest="from_dir", type=Path, required=True, help="a generator output folder")
    ap.add_argument("--db", type=Path, required=True, help="the DuckDB file to load into")
    ap.add_argument("--copy-of", type=Path, help="start from a copy of this warehouse file")
    ap.add_argument("--first", help="first delivery day (YYYY-MM-DD)")
    ap.add_argument("--last", help="last delivery day (YYYY-MM-DD)")
    ap.add_argument("--no-match", action="store_true", help="skip the customer matching at the end")
    ap.add_argument("--json", type=Path, help="write every event here")
    args = ap.parse_args()

    from loaders import ahead, run
    from loaders.sources.delivery import parse_name
    from warehouse.engine import create_engine
    from warehouse.migrate import migrate

    if args.copy_of:
        copy_warehouse(args.copy_of, args.db)
    t0 = time.perf_counter()
    events: list[dict[str, Any]] = []

    def timed(label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*a: Any, **kw: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                path = next((x for x in a if isinstance(x, Path)), None)
                events.append(dict(what=label, thread=threading.current_thread().name,
                                   day=parse_name(path).day.isoformat() if path else "", file=path.name if path else "",
                                   start=round(start - t0, 2), end=round(time.perf_counter() - t0, 2)))
        return wrapper

    ahead.load_file = timed("load", ahead.load_file)
    ahead.stage_ahead = timed("stage", ahead.stage_ahead)
    run.match_customers = timed("match", run.match_customers)

    engine = create_engine(f"duckdb:///{args.db}")
    migrate(engine)
    files = [f for f in run.delivery_files(args.from_dir)
             if (args.first or "") <= parse_name(f).day.isoformat() <= (args.last or "9999")]
    cpu0, wall0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    summary = run.load_files(engine, files, match=not args.no_match)
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    busy: dict[str, float] = {}
    days: dict[str, list[float]] = {}
    for e in events:
        busy[e["thread"]] = busy.get(e["thread"], 0.0) + e["end"] - e["start"]
        if e["what"] == "load":
            span = days.setdefault(e["day"], [e["start"], e["end"]])
            span[0], span[1] = min(span[0], e["start"]), max(span[1], e["end"])
    result = {"files": len(files), "failed": summary.count("failed"), "total_s": round(time.perf_counter() - wall0, 1),
              "cpu_s": round(cpu1.ru_utime - cpu0.ru_utime + cpu1.ru_stime - cpu0.ru_stime, 1),
              "peak_rss_gb": round(cpu1.ru_maxrss / 2**20, 2),
              "busy_s_by_thread": {k: round(v, 1) for k, v in busy.items()},
              "days_s": {d: round(b - a, 1) for d, (a, b) in sorted(days.items())}}
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.write_text(json.dumps({**result, "events": events}, indent=0), encoding="utf-8")


if __name__ == "__main__":
    main()
