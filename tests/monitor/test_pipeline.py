"""The whole monitor loop, day by day, as `utilityflow demo` runs it: the scheduler picks up each day's
delivery, loads and checks it, runs anomaly detection, and incidents and alerts open and resolve as the
data goes bad and recovers. No Slack configured: alerts go to the log and the alert table."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.incidents import list_incidents
from monitor.schedule_config import JobConfig, ScheduleConfig
from monitor.scheduler import JobSteps, default_steps, run_once
from monitor.scheduler_state import ledger
from monitor.settings import Settings

_spec = importlib.util.spec_from_file_location("scheduler_steps", Path(__file__).parent / "scheduler_steps.py")
steps_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(steps_mod)


def test_day_by_day_incident_opens_and_resolves_with_alerts(duck_mart, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    sc = ScheduleConfig(jobs=(JobConfig("mdm-daily", "mdm", folder, "0 6 * * *", "*.csv"),), lock_dir=str(tmp_path))
    wired = default_steps()
    steps = JobSteps(load=steps_mod.load_csv, check=steps_mod.check_row_counts, detect=wired.detect,
                     alert=wired.alert)
    day0 = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    statuses = []
    for day, rows in enumerate([12, 0, 13]):  # day 1 delivers an empty file
        steps_mod.write_delivery(folder, f"usage_{day}.csv", rows)
        (outcome,) = run_once(Settings(), config=sc, steps=steps, now=day0 + timedelta(days=day),
                              engine=duck_mart.engine)
        statuses.append(outcome.status)
        if day == 1:
            (incident,) = list_incidents(duck_mart.engine, "active")
            assert incident.check_id == "usage.row_count" and incident.severity == "critical"
    assert statuses == ["done", "done", "done"]
    assert [r.status for r in ledger(duck_mart.engine, "mdm-daily")] == ["done"] * 3
    (incident,) = list_incidents(duck_mart.engine, "resolved")
    assert incident.resolved_by == "auto" and incident.seconds_to_resolve is not None
    alerts = duck_mart.rows("SELECT kind, destination, status FROM dq_alert_log ORDER BY alert_id")
    assert [(a.kind, a.destination, a.status) for a in alerts] == [("new", "log", "logged"),
                                                                   ("resolved", "log", "logged")]
    # Anomaly detection ran on each run's metrics (skipped: not enough history yet), stored like any check.
    anomaly = duck_mart.rows("SELECT status FROM fact_data_quality WHERE check_id = 'usage.raw.anomaly.row_count'")
    assert [a.status for a in anomaly] == ["skipped"] * 3
