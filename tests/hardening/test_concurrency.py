"""Concurrency: the console keeps answering while a load holds DuckDB's single write lock (data, or a clear
"busy" state — never a crash), and the loaded data appears once the load commits; two schedulers started
at the same moment run each job exactly once."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from monitor import console_db
from monitor.console_db import WarehouseBusy

ROOT = Path(__file__).resolve().parents[2]
LOAD = """
import sys
from loaders.run import load_directory
from warehouse.engine import create_engine
print("start", flush=True)
load_directory(create_engine("duckdb:///" + sys.argv[1]), sys.argv[2])
"""


def test_console_reads_while_a_load_writes(migrated_template: Path, generated: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "w.duckdb"
    shutil.copy(migrated_template, db)
    url = f"duckdb:///{db}"
    monkeypatch.setattr(console_db, "RETRY_DELAYS", (0.05, 0.1))
    sql = "SELECT COUNT(*) AS n FROM dim_batch WHERE status = 'loaded'"
    assert int(console_db.read(url, sql)["n"][0]) == 0
    console_db.dispose_engines()
    child = subprocess.Popen([sys.executable, "-c", LOAD, str(db), str(generated)], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout.readline().strip() == b"start"
    busy, answered, states = [], [], set()
    try:
        while child.poll() is None:
            try:
                states.add(console_db.warehouse_state(url).state)
                answered.append(int(console_db.read(url, sql)["n"][0]))
            except WarehouseBusy as e:  # the one error a reader may see: clear, and says what is going on
                busy.append(str(e))
            console_db.dispose_engines()
            time.sleep(0.01)
    finally:
        _, err = child.communicate(timeout=120)
    assert child.returncode == 0, err.decode()[-2000:]
    assert busy, "the load never held the write lock while the console read"
    assert all("busy" in m and "write lock" in m and "duckdb" in m.lower() for m in busy), busy[0]
    assert states <= {"ready", "empty"}, states  # between the load's transactions the reads got through
    final = int(console_db.read(url, sql)["n"][0])
    assert final > 0 and final >= max(answered, default=0)  # the loaded data appears after the load
    console_db.dispose_engines()


def test_a_load_waits_out_a_console_read_holding_the_file(migrated_template: Path, tmp_path: Path) -> None:
    """DuckDB refuses a writer while a reader has the file open; the console's reads are short, so the loader
    waits them out instead of failing (found by the test above: a read between two batches failed the load)."""
    import duckdb

    db = tmp_path / "w.duckdb"
    shutil.copy(migrated_template, db)
    drop = tmp_path / "in" / "cis"
    drop.mkdir(parents=True)
    (drop / "cis_tariff_20260105.dat").write_text("tariff_code|commodity|description|unit_rate|fixed_charge|"
                                                  "effective_date\nRES-E|ELECTRIC|Res|0.14|12.50|20250101\n")
    reader = duckdb.connect(str(db), read_only=True)
    child = subprocess.Popen([sys.executable, "-c", LOAD, str(db), str(tmp_path / "in")], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout.readline().strip() == b"start"
    time.sleep(0.5)  # the loader is now trying to open the file the reader holds
    reader.close()
    _, err = child.communicate(timeout=120)
    assert child.returncode == 0, err.decode()[-2000:]
    console_db.dispose_engines()
    assert int(console_db.read(f"duckdb:///{db}", "SELECT COUNT(*) AS n FROM dim_tariff")["n"][0]) == 1
    console_db.dispose_engines()


SCHEDULER = """
import json, sys, time
from datetime import datetime, UTC
from pathlib import Path
sys.path.insert(0, {tests!r})
import scheduler_steps as st
from monitor.schedule_config import JobConfig, ScheduleConfig
from monitor.scheduler import JobSteps, run_once
from monitor.settings import Settings
from warehouse.engine import create_engine
cfg = ScheduleConfig(jobs=tuple(JobConfig(j, "mdm", Path({drop!r}) / j, "0 6 * * *", "*.csv") for j in ("a", "b")),
                     lock_dir={lock!r})
engine = create_engine({url!r}, schema={schema!r})
go = Path({go!r})
print("ready", flush=True)
while not go.exists():
    time.sleep(0.005)
out = run_once(Settings(), config=cfg, steps=JobSteps(load=st.load_csv, check=st.check_row_counts),
               now=datetime(2026, 3, 2, 7, 0, tzinfo=UTC), engine=engine, wait_seconds=30)
print(json.dumps([(o.job, o.status) for o in out]), flush=True)
"""


@pytest.mark.postgres
def test_two_schedulers_started_at_once_run_each_job_once(pg_engine: Engine, pg_schema: str, tmp_path: Path) -> None:
    from warehouse.migrate import migrate

    sys.path.insert(0, str(ROOT / "tests" / "monitor"))
    try:
        import scheduler_steps as st
    finally:
        sys.path.pop(0)
    migrate(pg_engine)
    for job, rows in (("a", 5), ("b", 7)):
        st.write_delivery(tmp_path / "drop" / job, f"usage_{job}.csv", rows)
    go = tmp_path / "go"
    script = SCHEDULER.format(tests=str(ROOT / "tests" / "monitor"), drop=str(tmp_path / "drop"),
                              lock=str(tmp_path), url=pg_engine.url.render_as_string(hide_password=False),
                              schema=pg_schema,
                              go=str(go))
    procs = [subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for _ in range(2)]
    for p in procs:
        assert p.stdout.readline().strip() == b"ready"
    go.touch()  # both start now
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()[-2000:]
        results.append(sorted(json.loads(out.decode().strip().splitlines()[-1])))
    statuses = sorted(tuple(s for _, s in r) for r in results)
    assert statuses == [("done", "done"), ("skipped", "skipped")], results
    with pg_engine.connect() as conn:
        ledger = conn.execute(sa.text("SELECT job_name, status FROM ops_schedule_run ORDER BY job_name")).all()
        files = conn.execute(sa.text("SELECT file_name, COUNT(*) FROM dim_batch GROUP BY file_name")).all()
    assert sorted(files) == [("usage_a.csv", 1), ("usage_b.csv", 1)]
    assert [tuple(r) for r in ledger] == [("a", "done"), ("b", "done")]
