"""Benchmark `utilityflow generate`: wall time and peak RSS of each case, each in its own process.

Rerun (from the repo root; the utility-scale case writes ~4 GB to --tmp and takes a few minutes):

    .venv/bin/python benchmarks/bench_generate.py --case small      # 10k customers x 7 days, target <= 15 s
    .venv/bin/python benchmarks/bench_generate.py --case utility    # 2M customers, a month, <= 180 s, <= 3 GB

The utility-scale case is `--scale-profile utility-month --customers 2000000 --days 30`: the CIS full
snapshot and 30 days of deltas and bills, ~2M payments, ~300k CRM interactions, ~100k service orders,
the GIS full export (twice: Nov 1 and Dec 1 are both month starts only if the run spans them), and MDM on
day 1 only: register reads for every meter and intervals for a 5% sample of meters.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

CASES = {
    "small": ["--customers", "10000", "--days", "7", "--start", "2026-11-01", "--seed", "1"],
    "utility": [
        "--customers",
        "2000000",
        "--days",
        "30",
        "--start",
        "2026-11-01",
        "--seed",
        "1",
        "--scale-profile",
        "utility-month",
    ],
}
TARGETS = {"small": (15.0, None), "utility": (180.0, 3.0)}


def run(case: str, tmp: Path, customers: int | None) -> dict[str, object]:
    """Run one case in a child process; returns seconds, peak RSS and output size."""
    out = tmp / f"bench_{case}"
    shutil.rmtree(out, ignore_errors=True)
    args = list(CASES[case])
    if customers is not None:
        args[args.index("--customers") + 1] = str(customers)
    cmd = [sys.executable, "-m", "monitor.cli", "generate", *args, "--out", str(out)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{case}: generate failed ({status})")
    manifest = json.loads((out / "manifest.json").read_text())
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    limit_s, limit_gb = TARGETS[case]
    result = {
        "case": case,
        "args": " ".join(args),
        "seconds": round(seconds, 1),
        "peak_rss_gb": round(usage.ru_maxrss / 1e6, 2),
        "output_gb": round(size / 1e9, 2),
        "deliveries": len(manifest["deliveries"]),
        "rows": {
            k: sum(d["rows"] for d in manifest["deliveries"] if d["feed"] == k)
            for k in sorted({d["feed"] for d in manifest["deliveries"]})
        },
        "target_seconds": limit_s,
        "target_rss_gb": limit_gb,
    }
    shutil.rmtree(out, ignore_errors=True)
    return result


def main() -> None:
    """Parse arguments, run the chosen cases, print one JSON result per case."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--case", choices=["small", "utility", "all"], default="small")
    ap.add_argument(
        "--tmp", type=Path, default=Path("/tmp"), help="where the output is written (then deleted)"
    )
    ap.add_argument("--customers", type=int, default=None, help="override the case's customer count")
    a = ap.parse_args()
    for case in ["small", "utility"] if a.case == "all" else [a.case]:
        print(json.dumps(run(case, a.tmp, a.customers), indent=1), flush=True)


if __name__ == "__main__":
    main()
