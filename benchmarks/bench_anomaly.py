"""Detection rate and false-positive rate of the anomaly detector on the synthetic test series, over more
seeds than the test uses, per metric kind and in total.

    .venv/bin/python benchmarks/bench_anomaly.py [SEEDS]      # default 50 seeds per kind
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

spec = importlib.util.spec_from_file_location(
    "anomaly_series", Path(__file__).parents[1] / "tests" / "monitor" / "anomaly" / "test_model.py")
series = importlib.util.module_from_spec(spec)
spec.loader.exec_module(series)

from monitor.anomaly.model import AnomalyRule  # noqa: E402


def main() -> None:
    seeds = range(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
    started = time.perf_counter()
    for kind in ("row_count", "null_rate", "mean_usage", "freshness"):
        d, fp, fw, n_a, n_n = series.measure(AnomalyRule(), kinds=(kind,), seeds=seeds)
        print(f"{kind:<11} injected {n_a:>4}  normal {n_n:>5}  detection {d:.3f}  false positives {fp:.4f} (fail) "
              f"{fw:.4f} (warn)")
    d, fp, fw, n_a, n_n = series.measure(AnomalyRule(), seeds=seeds)
    print(f"{'all':<11} injected {n_a:>4}  normal {n_n:>5}  detection {d:.3f}  false positives {fp:.4f} (fail) "
          f"{fw:.4f} (warn)")
    _, fp_flat, *_ = series.measure(AnomalyRule(seasonal="none"), kinds=("row_count",), seeds=seeds)
    print(f"row_count without weekday buckets: false positives {fp_flat:.4f}")
    print(f"{time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
