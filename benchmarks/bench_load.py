"""Benchmark: load a generator output folder end to end (parse, stage, cleanse, match, publish).

    # the utility-scale month (issue 4 target: <= 5 min, peak RSS <= 4 GB)
    .venv/bin/python benchmarks/bench_load.py --customers 2000000 --days 30 --profile utility-month
    # a smaller run
    .venv/bin/python benchmarks/bench_load.py --customers 20000 --days 30 --profile utility-month

The generator runs first in a child process (its time and memory are not counted), then this process
loads the folder into a fresh DuckDB file and prints rows, seconds, rows/s, the slowest feeds, peak RSS and
the accuracy figures against the manifest. Needs `loaders.synth` (issue 3).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=20000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--start", default="2026-10-01")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--profile", default="utility-month", choices=["full", "utility-month"])
    ap.add_argument("--work", type=Path, default=None, help="folder for the deliveries and the DuckDB file")
    ap.add_argument("--no-evaluate", action="store_true")
    ap.add_argument("--from", dest="from_dir", type=Path, default=None,
                    help="an existing generator output folder (skips generating)")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench_load_"))
    out = args.from_dir or work / "out"
    t0 = time.perf_counter()
    if not args.from_dir:
        subprocess.run([sys.executable, "-m", "monitor.cli", "generate", "--customers", str(args.customers), "--days",
                        str(args.days), "--start", args.start, "--seed", str(args.seed), "--out", str(out),
                        "--scale-profile", args.profile], check=True, stdout=subprocess.DEVNULL)
    gen_s = time.perf_counter() - t0

    from loaders.run import load_directory, read_manifest
    from warehouse.engine import create_engine
    from warehouse.migrate import migrate

    work.mkdir(parents=True, exist_ok=True)
    db = work / "bench.duckdb"
    db.unlink(missing_ok=True)
    engine = create_engine(f"duckdb:///{db}")
    migrate(engine)
    feed_s: dict[str, float] = {}
    last = [time.perf_counter()]
    loads_rss_kb = [0]

    def on_progress(event) -> None:  # noqa: ANN001
        now = time.perf_counter()
        if event.result is not None:
            feed_s[event.result.feed] = feed_s.get(event.result.feed, 0.0) + now - last[0]
            # peak RSS never falls, so its value after the last batch is the loads' own peak (before matching)
            loads_rss_kb[0] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        last[0] = now

    t1 = time.perf_counter()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    summary = load_directory(engine, out, on_progress=on_progress)
    load_s = time.perf_counter() - t1
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    # on a shared machine wall time measures the neighbours too; CPU seconds (all threads) measure the loader
    cpu_s = cpu1.ru_utime - cpu0.ru_utime + cpu1.ru_stime - cpu0.ru_stime
    match_s = load_s - sum(feed_s.values())
    rows = sum(b.rows_read for b in summary.batches)
    # a folder given with --from says what it holds (the options' defaults would not)
    made = {**vars(args), **((read_manifest(out) or {}).get("parameters") or {})}
    result = {
        "customers": made["customers"], "days": made["days"], "profile": made["profile"],
        "generate_s": round(gen_s, 1),
        "load_s": round(load_s, 1), "load_cpu_s": round(cpu_s, 1), "rows_read": rows,
        "rows_per_s": round(rows / load_s),
        "match_s": round(match_s, 1), "batches": len(summary.batches), "failed": summary.count("failed"),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "loads_peak_rss_mb": round(loads_rss_kb[0] / 1024),
        "slowest_feeds_s": dict(sorted(((k, round(v, 1)) for k, v in feed_s.items()), key=lambda kv: -kv[1])[:6]),
        "golden_customers": summary.match.golden_customers if summary.match else None,
    }
    if not args.no_evaluate:
        from loaders.evaluate import evaluate

        ev = evaluate(engine, out)
        result.update(true_customers=ev.true_customers, golden_real=ev.golden_customers,
                      golden_error=round(ev.golden_error, 5), precision=round(ev.precision, 5),
                      recall=round(ev.recall, 5), clean_rows_quarantined=ev.clean_rows_quarantined,
                      repair_accuracy={k: f"{a}/{b}" for k, (a, b) in ev.repair_accuracy.items()})
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
