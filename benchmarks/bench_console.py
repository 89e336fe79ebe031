"""Overview render time of the console on a year of daily history for 500 checks across the six sources.

    .venv/bin/python benchmarks/bench_console.py [--keep DIR] [--no-browser]

Generates the warehouse (365 days x 250 check ids x 2 stages = 500 checks, 182,500 results, 12 datasets,
4,380 batches) with the same helper the tests use, then measures:

- server side (Streamlit AppTest, one process): the overview script's cold run (empty caches, first
  engine, first imports of the page code and Plotly) and warm runs (st.cache_data hits);
- each overview query on its own, uncached, to show where the cold time goes;
- in a real browser (Debian Chromium, headless): `utilityflow dashboard` started fresh, time from
  navigation to the three Plotly charts drawn, first visit (cold) and reloads (warm).

Targets: warm <= 1.5 s, cold <= 4 s.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "dashboard" / "app.py"


def _history_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("mart_history", ROOT / "tests" / "dashboard" / "mart_history.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["mart_history"] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def build(path: Path) -> str:
    from warehouse.engine import create_engine

    url = f"duckdb:///{path}"
    engine = create_engine(url)
    start = time.perf_counter()
    summary = _history_module().fill_history(engine, days=365, checks=500, seed=11)
    engine.dispose()
    print(f"warehouse: {summary.results:,} results, {summary.checks} checks, {summary.batches:,} batches, "
          f"{summary.first_day}..{summary.last_day}, {path.stat().st_size / 1e6:.1f} MB, "
          f"built in {time.perf_counter() - start:.1f} s")
    return url


def server_side(url: str) -> tuple[float, list[float]]:
    """Cold and warm overview script runs in a fresh interpreter (so the cold run pays first imports)."""
    code = f"""
import time, json
from streamlit.testing.v1 import AppTest
t = time.perf_counter()
at = AppTest.from_file({str(APP)!r}, default_timeout=120)
at.session_state["warehouse_url"] = {url!r}
at.run()
cold = time.perf_counter() - t
assert not at.exception, [e.value for e in at.exception]
assert len(at.get("plotly_chart")) == 3
warm = []
for _ in range(5):
    t = time.perf_counter(); at.run(); warm.append(time.perf_counter() - t)
print(json.dumps({{"cold": cold, "warm": warm}}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    import json

    data = json.loads(out.stdout.strip().splitlines()[-1])
    return float(data["cold"]), [float(w) for w in data["warm"]]


def queries(url: str) -> None:
    from monitor import console_api as api
    from monitor import console_db, console_ops

    console_db.dispose_engines()
    f = api.Filters()
    # What the overview page reads, in order (one shared read-only connection, as in a render).
    calls = [("warehouse_state", lambda: [console_db.warehouse_state(url)]),
             ("filter_options", lambda: api.filter_options(url)),
             ("overview_scores", lambda: api.overview_scores(url, f)["trend"]),
             ("incident_counts", lambda: console_ops.incident_counts(url, f)),
             ("latest_batches", lambda: api.latest_batches(url, f)), ("coverage", lambda: api.coverage(url, f)),
             ("open incidents", lambda: console_ops.incidents(url, f, ("open", "acknowledged")))]
    total = 0.0
    with console_db.session(url):
        for name, call in calls:
            t = time.perf_counter()
            rows = len(call())
            dt = time.perf_counter() - t
            total += dt
            print(f"  {name:<22} {dt * 1000:7.1f} ms  ({rows} rows)")
    print(f"  {'all overview queries':<22} {total * 1000:7.1f} ms")


def browser(url: str) -> tuple[float, list[float]] | None:
    import signal
    import socket
    import urllib.request

    if not Path("/usr/bin/chromium").exists():
        print("browser: /usr/bin/chromium missing (apt-get install -y chromium); skipped")
        return None
    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exe = Path(sys.executable).with_name("utilityflow")
    proc = subprocess.Popen([str(exe), "dashboard", "--port", str(port), "--address", "127.0.0.1", "--warehouse", url],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=1) as r:
                    if r.read() == b"ok":
                        break
            except OSError:
                time.sleep(0.1)
        charts = "document.querySelectorAll('.js-plotly-plot .main-svg').length >= 3"
        with sync_playwright() as pw:
            b = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                   args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                         "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage"])
            page = b.new_page(viewport={"width": 1440, "height": 1600})
            t = time.perf_counter()
            page.goto(base + "/")
            page.wait_for_function(charts, timeout=120_000)
            cold = time.perf_counter() - t
            warm = []
            for _ in range(5):
                t = time.perf_counter()
                page.reload()
                page.wait_for_function(charts, timeout=120_000)
                warm.append(time.perf_counter() - t)
            b.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    return cold, warm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", type=Path, help="build the warehouse in this folder and keep it")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium measurement")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="uf-bench-console-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "year.duckdb"
    path.unlink(missing_ok=True)
    url = build(path)
    print(f"machine load average before measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("overview queries, uncached (DuckDB, read-only, one connection for the render):")
    queries(url)
    cold, warm = server_side(url)
    print(f"server side (AppTest): cold {cold:.2f} s (target <= 4 s), warm median {statistics.median(warm):.3f} s, "
          f"max {max(warm):.3f} s (target <= 1.5 s)")
    if not args.no_browser:
        result = browser(url)
        if result:
            bcold, bwarm = result
            print(f"browser (Chromium, charts drawn): cold {bcold:.2f} s (target <= 4 s), warm median "
                  f"{statistics.median(bwarm):.2f} s, max {max(bwarm):.2f} s (target <= 1.5 s)")


if __name__ == "__main__":
    main()
