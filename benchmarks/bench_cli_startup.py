"""How long `utilityflow --help` takes (target <= 0.5 s) and which heavy modules it imports (none).

    .venv/bin/python benchmarks/bench_cli_startup.py [--runs 10]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    exe = shutil.which("utilityflow") or str(Path(sys.executable).with_name("utilityflow"))
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        subprocess.run([exe, "--help"], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    print(f"utilityflow --help: median {statistics.median(times):.3f} s, max {max(times):.3f} s "
          f"over {args.runs} runs (target <= 0.5 s)")


if __name__ == "__main__":
    main()
