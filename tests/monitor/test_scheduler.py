"""The scheduler: config, ledger per (job, slot), drop-folder pickup, failing jobs isolated, transient
retries with backoff, terminal errors not retried, locks, --once, clean SIGTERM shutdown."""

from __future__ import annotations

import importlib.util
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.errors import ConfigError
from monitor.schedule_config import JobConfig, ScheduleConfig, load_schedule
from monitor.scheduler import JobSteps, is_transient, latest_slot, run_once
from monitor.scheduler_state import LockBusy, exclusive, ledger
from monitor.settings import Settings
from warehouse.errors import WarehouseUnavailable

_spec = importlib.util.spec_from_file_location("scheduler_steps", Path(__file__).parent / "scheduler_steps.py")
steps_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(steps_mod)

DAY = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


def config(tmp_path: Path, *jobs: str, retries: int = 2) -> ScheduleConfig:
    return ScheduleConfig(
        jobs=tuple(JobConfig(name=j, source="mdm", drop_folder=tmp_path / "drop" / j, cron="0 6 * * *", pattern="*.csv")
                   for j in jobs),
        retries=retries, retry_backoff_seconds=0.01, lock_dir=str(tmp_path))


def steps(**overrides) -> JobSteps:
    calls: list[tuple[str, object]] = []

    def detect(engine, run_id, settings):
        calls.append(("detect", run_id))

    def alert(engine, run_id, settings):
        calls.append(("alert", run_id))

    s = JobSteps(load=steps_mod.load_csv, check=steps_mod.check_row_counts, detect=detect, alert=alert)
    for k, v in overrides.items():
        setattr(s, k, v)
    s.calls = calls  # type: ignore[attr-defined]
    return s


def test_config_from_toml_and_every_problem_reported(tmp_path: Path) -> None:
    cfg = tmp_path / "utilityflow.toml"
    cfg.write_text(textwrap.dedent("""
        [utilityflow]
        warehouse_url = "duckdb:///x.duckdb"
        [schedule]
        misfire_grace_time = 120
        [[schedule.jobs]]
        name = "cis-daily"
        source = "cis"
        drop_folder = "drop/cis"
        cron = "30 6 * * *"
    """))
    sc = load_schedule(cfg)
    assert sc.misfire_grace_time == 120 and sc.coalesce is True and sc.max_instances == 1
    (job,) = sc.jobs
    assert job.drop_folder == tmp_path / "drop" / "cis" and job.cron == "30 6 * * *"
    assert Settings.load(cfg, environ={}).warehouse_url == "duckdb:///x.duckdb"  # settings ignore [schedule]

    cfg.write_text(textwrap.dedent("""
        [schedule]
        coalese = true
        [[schedule.jobs]]
        name = "a"
        source = "cis"
        drop_folder = "d"
        cron = "61 * * * *"
        [[schedule.jobs]]
        name = "b"
        source = "cis"
        cron = "0 6 * * *"
    """))
    with pytest.raises(ConfigError) as err:
        load_schedule(cfg)
    text = str(err.value)
    assert str(cfg) in text and "did you mean 'coalesce'" in text
    assert "#1 (a): cron '61 * * * *' is not valid" in text and "#2 (b): missing 'drop_folder'" in text


def test_latest_slot() -> None:
    assert latest_slot("0 6 * * *", "UTC", DAY, timedelta(hours=24)) == datetime(2026, 3, 2, 6, 0)
    assert latest_slot("0 6 * * *", "UTC", DAY.replace(hour=5), timedelta(hours=24)) == datetime(2026, 3, 1, 6, 0)
    assert latest_slot("0 6 * * *", "UTC", DAY.replace(hour=5), timedelta(hours=1)) is None


def test_once_picks_up_deliveries_and_the_ledger_stops_a_second_run(warehouse, tmp_path: Path, caplog) -> None:
    from warehouse.migrate import migrate

    migrate(warehouse)
    sc = config(tmp_path, "mdm-daily")
    folder = tmp_path / "drop" / "mdm-daily"
    steps_mod.write_delivery(folder, "usage_20260302_a.csv", 10)
    steps_mod.write_delivery(folder, "usage_20260302_b.csv", 5)
    (folder / "usage_20260302_c.csv.part").write_text("still being written")
    s = steps()
    with caplog.at_level(logging.INFO, logger="utilityflow.scheduler"):
        (outcome,) = run_once(Settings(), config=sc, steps=s, now=DAY, engine=warehouse)
    assert (outcome.status, outcome.deliveries, len(outcome.batches), outcome.attempts) == ("done", 2, 2, 1)
    assert s.calls == [("detect", outcome.run_id), ("alert", outcome.run_id)]
    (row,) = ledger(warehouse, "mdm-daily")
    assert (row.status, row.batches, row.run_id, row.scheduled_for) == ("done", 2, outcome.run_id,
                                                                         datetime(2026, 3, 2, 6, 0))
    assert "event=job_done job=mdm-daily" in caplog.text and "outcome=done" in caplog.text
    assert "event=delivery job=mdm-daily file=usage_20260302_a.csv batch=" in caplog.text

    # Same slot again (and after a "restart": a fresh engine on the same warehouse): not run again.
    (again,) = run_once(Settings(), config=sc, steps=s, now=DAY + timedelta(hours=3), engine=warehouse)
    assert again.status == "skipped"
    # Next day: a re-dropped identical file is not loaded twice; a new one is.
    steps_mod.write_delivery(folder, "usage_20260302_a_copy.csv", 10)
    steps_mod.write_delivery(folder, "usage_20260303.csv", 7)
    (next_day,) = run_once(Settings(), config=sc, steps=s, now=DAY + timedelta(days=1), engine=warehouse)
    assert (next_day.status, next_day.deliveries) == ("done", 1)


def test_failing_job_is_recorded_and_does_not_stop_the_others(duck_mart, tmp_path: Path) -> None:
    sc = config(tmp_path, "broken", "healthy")
    steps_mod.write_delivery(tmp_path / "drop" / "healthy", "u.csv", 3)
    # 'broken' has no drop folder: a terminal configuration error.
    outcomes = {o.job: o for o in run_once(Settings(), config=sc, steps=steps(), now=DAY, engine=duck_mart.engine)}
    assert outcomes["broken"].status == "failed" and outcomes["broken"].error_kind == "terminal"
    assert outcomes["broken"].attempts == 1 and "does not exist" in outcomes["broken"].message
    assert outcomes["healthy"].status == "done"
    rows = {r.job_name: r for r in ledger(duck_mart.engine)}
    assert rows["broken"].status == "failed" and "drop folder" in rows["broken"].message


def test_transient_errors_are_retried_with_backoff_terminal_ones_are_not(duck_mart, tmp_path: Path) -> None:
    sc = config(tmp_path, "flaky", retries=3)
    folder = tmp_path / "drop" / "flaky"
    steps_mod.write_delivery(folder, "a.csv", 3)
    (folder / "b.csv").write_text("wrong,header\n1,2\n")  # a bad file: terminal
    failures = {"left": 2}

    def flaky_load(engine, delivery, settings):
        if delivery.path.name == "a.csv" and failures["left"]:
            failures["left"] -= 1
            raise ConnectionError("connection reset by peer")
        return steps_mod.load_csv(engine, delivery, settings)

    started = time.monotonic()
    (outcome,) = run_once(Settings(), config=sc, steps=steps(load=flaky_load), now=DAY, engine=duck_mart.engine)
    assert outcome.attempts == 3 and time.monotonic() - started >= 0.01 + 0.02
    assert outcome.status == "partial" and len(outcome.batches) == 1
    bad = duck_mart.rows("SELECT status, message FROM ops_delivery WHERE file_name LIKE '%b.csv'")[0]
    assert bad.status == "failed" and "line 1: expected header" in bad.message

    # Transient errors beyond the retry budget fail the job, marked transient.
    sc2 = config(tmp_path, "down", retries=1)
    steps_mod.write_delivery(tmp_path / "drop" / "down", "c.csv", 3)

    def down(engine, delivery, settings):
        raise WarehouseUnavailable("warehouse busy")

    (outcome,) = run_once(Settings(), config=sc2, steps=steps(load=down), now=DAY, engine=duck_mart.engine)
    assert (outcome.status, outcome.error_kind, outcome.attempts) == ("failed", "transient", 2)


def test_is_transient_by_type() -> None:
    import sqlalchemy.exc as sa_exc

    assert is_transient(ConnectionError()) and is_transient(TimeoutError())
    assert is_transient(sa_exc.OperationalError("SELECT 1", {}, Exception("server closed the connection")))
    assert not is_transient(ValueError("bad date on line 3"))
    assert not is_transient(sa_exc.IntegrityError("INSERT", {}, Exception("duplicate key")))


def test_missing_steps_fail_the_job_with_a_clear_message(duck_mart, tmp_path: Path) -> None:
    sc = config(tmp_path, "unwired")
    (outcome,) = run_once(Settings(), config=sc, steps=JobSteps(), now=DAY, engine=duck_mart.engine)
    assert outcome.status == "failed" and "no load and check step is wired" in outcome.message


def test_default_steps_wire_the_loaders_and_the_check_registry() -> None:
    from monitor.pipeline import check_step, load_step
    from monitor.scheduler import default_steps

    steps = default_steps()
    assert (steps.load, steps.check) == (load_step, check_step)


def test_lock_keeps_a_second_scheduler_out(warehouse, tmp_path: Path) -> None:
    with exclusive(warehouse, "scheduler", str(tmp_path)):
        with pytest.raises(LockBusy, match="another scheduler process"), exclusive(
                warehouse, "scheduler", str(tmp_path)):
            pass
        with exclusive(warehouse, "other-job", str(tmp_path)):
            pass  # a different lock name is independent
    with exclusive(warehouse, "scheduler", str(tmp_path), wait_seconds=1):
        pass  # released


def test_once_refuses_while_another_scheduler_runs(duck_mart, tmp_path: Path) -> None:
    sc = config(tmp_path, "mdm-daily")
    with exclusive(duck_mart.engine, "scheduler", str(tmp_path)), pytest.raises(LockBusy):
        run_once(Settings(), config=sc, steps=steps(), now=DAY, engine=duck_mart.engine)


SERVE_SCRIPT = """
import logging, sys, time
from pathlib import Path
sys.path.insert(0, {tests!r})
import scheduler_steps as st
from monitor.schedule_config import JobConfig, ScheduleConfig
from monitor.scheduler import JobSteps, serve
from monitor.settings import Settings
logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s", force=True)
marker = Path({marker!r})
def slow_load(engine, delivery, settings):
    marker.write_text(delivery.path.name)
    time.sleep(2)
    return st.load_csv(engine, delivery, settings)
cfg = ScheduleConfig(jobs=(JobConfig("mdm", "mdm", Path({folder!r}), "* * * * *", "*.csv"),),
                     lock_dir={lock!r}, misfire_grace_time=30)
serve(Settings(warehouse_url={url!r}), config=cfg, run_now=True,
      steps=JobSteps(load=slow_load, check=st.check_row_counts))
"""


def test_sigterm_finishes_the_running_delivery_and_stops_cleanly(duckdb_url, tmp_path: Path) -> None:
    from warehouse.engine import create_engine
    from warehouse.migrate import migrate

    engine = create_engine(duckdb_url)
    migrate(engine)
    engine.dispose()
    folder = tmp_path / "drop"
    for rows, name in enumerate(("a.csv", "b.csv", "c.csv"), 4):
        steps_mod.write_delivery(folder, name, rows)  # different contents: identical files are one delivery
    marker = tmp_path / "loading"
    script = SERVE_SCRIPT.format(tests=str(Path(__file__).parent), marker=str(marker), folder=str(folder),
                                 lock=str(tmp_path), url=duckdb_url)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, cwd=str(Path(__file__).parents[2]))
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert marker.exists(), proc.communicate()[0]
    os.kill(proc.pid, signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert "event=shutdown_requested signal=SIGTERM" in out and "event=scheduler_stopped" in out
    engine = create_engine(duckdb_url)
    (row,) = ledger(engine, "mdm")
    assert row.status == "interrupted" and row.batches == 1 and row.run_id is not None, out
    loaded = [r for r in engine.connect().exec_driver_sql("SELECT file_name, status FROM ops_delivery").all()]
    assert [(Path(f).name, s) for f, s in loaded] == [("a.csv", "loaded")]
    engine.dispose()
