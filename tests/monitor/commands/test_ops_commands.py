"""`utilityflow incidents`, `alerts` and `schedule` end to end through the CLI entry point."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

from monitor.incidents import sync_incidents

ROOT = Path(__file__).parents[3]


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("UTILITYFLOW_")}
    return subprocess.run([sys.executable, "-m", "monitor.cli", *args], capture_output=True, text=True,
                          cwd=cwd, env={**clean, "PYTHONPATH": str(ROOT), **(env or {})}, timeout=120)


def test_incidents_and_alerts_commands(duck_mart, duckdb_url, tmp_path: Path) -> None:
    r = duck_mart.run()
    duck_mart.result(r, "cis.customer.email_valid", "fail", rows_failed=3)
    sync_incidents(duck_mart.engine, r, now=datetime(2026, 3, 2, 6))
    duck_mart.engine.dispose()

    out = run("incidents", "list", "--warehouse", duckdb_url, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "cis_customer:cis.customer.email_valid" in out.stdout and "open" in out.stdout
    incident_id = out.stdout.splitlines()[1].split()[0]
    out = run("incidents", "ack", incident_id, "--by", "ana", "--note", "on it", "--warehouse", duckdb_url,
              cwd=tmp_path)
    assert out.returncode == 0 and "acknowledged by ana" in out.stdout, out.stderr
    out = run("incidents", "resolve", incident_id, "--reason", "fixed upstream", "--warehouse", duckdb_url,
              cwd=tmp_path)
    assert out.returncode == 0 and "resolved by" in out.stdout, out.stderr
    out = run("incidents", "ack", "999", "--warehouse", duckdb_url, cwd=tmp_path)
    assert out.returncode == 2 and out.stderr.strip().splitlines() == [
        "error [incident_error]: no incident 999; see `utilityflow incidents list`."]

    out = run("alerts", "test", "--warehouse", duckdb_url, cwd=tmp_path)
    assert out.returncode == 0 and "-> log: logged" in out.stdout, out.stderr
    out = run("alerts", "list", "--warehouse", duckdb_url, cwd=tmp_path)
    assert out.returncode == 0 and " test " in out.stdout and "logged" in out.stdout


def test_schedule_once_needs_jobs_and_reports_each(duckdb_url, tmp_path: Path) -> None:
    out = run("schedule", "--once", "--warehouse", duckdb_url, cwd=tmp_path)
    assert out.returncode == 2 and "no jobs configured" in out.stderr
    (tmp_path / "drop").mkdir()
    (tmp_path / "utilityflow.toml").write_text(textwrap.dedent(f"""
        [utilityflow]
        warehouse_url = "{duckdb_url}"
        [schedule]
        once_lookback_hours = 48
        [[schedule.jobs]]
        name = "cis-daily"
        source = "cis"
        drop_folder = "drop"
        cron = "0 * * * *"
    """))
    run("init", cwd=tmp_path)
    out = run("schedule", "--once", cwd=tmp_path)
    assert out.returncode == 0 and "cis-daily" in out.stdout and "done" in out.stdout, out.stdout + out.stderr


def test_schedule_once_loads_scores_and_alerts_a_real_delivery(duckdb_url, tmp_path: Path) -> None:
    import shutil

    import sqlalchemy as sa

    from warehouse.engine import create_engine

    gen = run("generate", "--customers", "40", "--days", "1", "--start", "2026-03-02", "--seed", "3",
              "--out", str(tmp_path / "gen"), cwd=tmp_path)
    assert gen.returncode == 0, gen.stderr
    drop = tmp_path / "drop"
    drop.mkdir()
    for f in (tmp_path / "gen" / "cis").glob("cis_customer_*"):
        shutil.copy(f, drop / f.name)
    (tmp_path / "utilityflow.toml").write_text(textwrap.dedent(f"""
        [utilityflow]
        warehouse_url = "{duckdb_url}"
        [schedule]
        once_lookback_hours = 48
        [[schedule.jobs]]
        name = "cis-daily"
        source = "cis"
        drop_folder = "drop"
        cron = "0 * * * *"
    """))
    run("init", cwd=tmp_path)
    out = run("schedule", "--once", cwd=tmp_path)
    assert out.returncode == 0 and "cis-daily" in out.stdout and "done" in out.stdout, out.stdout + out.stderr
    engine = create_engine(duckdb_url)
    with engine.connect() as conn:
        batches = conn.execute(sa.text("SELECT feed, status, rows_read FROM dim_batch")).all()
        stages = conn.execute(sa.text(
            "SELECT DISTINCT stage FROM fact_data_quality WHERE dataset_name LIKE '%cis_customer'")).scalars().all()
        runs = conn.execute(sa.text("SELECT COUNT(*) FROM dq_run WHERE trigger = 'schedule'")).scalar_one()
    engine.dispose()
    assert [(b.feed, b.status) for b in batches] == [("cis_customer", "loaded")] and batches[0].rows_read > 40
    assert "raw" in stages and runs == 1
    again = run("schedule", "--once", cwd=tmp_path)  # the same file is never picked up twice
    assert again.returncode == 0, again.stdout + again.stderr
