"""The end-to-end demo as a library: generate -> init -> day-by-day scheduled load/check/alert -> report.

The demo replays the generated days through the real scheduler: each day's files land in per-source drop
folders and `run_once` runs that day's slot of every job (load each delivery as a batch, match customers,
score raw/cleansed/star, detect anomalies, open/resolve incidents, alert to the log). Re-running it changes
nothing: the generator writes the same bytes, the scheduler's ledger and delivery log skip what ran.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from monitor.schedule_config import JobConfig, ScheduleConfig
from monitor.scheduler import JobOutcome, run_once
from monitor.settings import Settings
from warehouse.schema.staging import SOURCES

JOB_CRON = "0 6 * * *"  # every source delivers overnight; jobs run at 06:00 UTC


@dataclass(frozen=True)
class DemoOptions:
    workdir: Path
    customers: int = 10_000
    days: int = 14
    start: date = date(2026, 10, 26)  # spans the 2026-11-01 DST fall-back day
    seed: int = 42
    trend: str = "improving"


@dataclass
class DemoResult:
    deliveries: Path
    outcomes: list[JobOutcome] = field(default_factory=list)
    report: Path | None = None


def schedule_for(workdir: Path) -> ScheduleConfig:
    """One daily job per source, each watching its drop folder under the demo's workdir."""
    jobs = tuple(JobConfig(f"{s}-daily", s, workdir / "drop" / s, JOB_CRON) for s in SOURCES)
    return ScheduleConfig(jobs=jobs, lock_dir=str(workdir), once_lookback_hours=24)


def generate_deliveries(options: DemoOptions, tick: Callable[[str], None] | None = None) -> Path:
    """The six sources' deliveries for the demo period (byte-identical for the same options)."""
    from loaders.synth.generator import generate
    from loaders.synth.params import GenerateParams

    out = options.workdir / "deliveries"
    params = GenerateParams(customers=options.customers, days=options.days, start=options.start,
                            seed=options.seed, out=out, trend=options.trend)  # type: ignore[arg-type]
    generate(params, tick)
    return out


def replay_days(
    engine: Engine, settings: Settings, options: DemoOptions, deliveries: Path,
    on_day: Callable[[date, list[JobOutcome]], None] | None = None,
) -> list[JobOutcome]:
    """Drop each day's files into the source folders, then run that day's scheduler slot."""
    from loaders.run import delivery_files
    from loaders.sources.delivery import parse_name

    config = schedule_for(options.workdir)
    for job in config.jobs:
        job.drop_folder.mkdir(parents=True, exist_ok=True)
    by_day: dict[date, list[Path]] = {}
    for path in delivery_files(deliveries):
        by_day.setdefault(parse_name(path).day, []).append(path)
    outcomes: list[JobOutcome] = []
    for day in sorted(by_day):
        for path in by_day[day]:
            target = options.workdir / "drop" / path.parent.name / path.name
            if not target.exists():
                shutil.copy2(path, target)
        # The jobs of delivery day D run the next morning.
        now = datetime.combine(day + timedelta(days=1), time(7, 0), tzinfo=UTC)
        day_outcomes = run_once(settings, config=config, now=now, engine=engine)
        outcomes.extend(day_outcomes)
        if on_day:
            on_day(day, day_outcomes)
    return outcomes


def summary(engine: Engine) -> dict[str, Any]:
    """What the warehouse holds after the demo, read back from it (so a re-run prints the same)."""
    q = {
        "batches": "SELECT source, COUNT(*) AS batches, SUM(rows_read) AS rows_read, SUM(rows_loaded) AS rows_loaded, "
        "SUM(rows_quarantined) AS rows_quarantined, SUM(rows_merged) AS rows_merged, "
        "SUM(CASE WHEN status = 'skipped' THEN 1 ELSE 0 END) AS skipped, "
        "SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS failed "
        "FROM dim_batch GROUP BY source ORDER BY source",
        "quarantine": "SELECT reason_code, COUNT(*) AS n FROM quarantine GROUP BY reason_code ORDER BY n DESC",
        "customers": "SELECT COUNT(*) AS records, COUNT(DISTINCT golden_customer_id) AS golden FROM customer_xref "
        "WHERE is_current = TRUE",
        "scores": "SELECT dataset_name, stage, SUM(weighted_score_sum) AS w, SUM(weight_sum) AS n "
        "FROM v_dq_daily_score GROUP BY dataset_name, stage",
        "trend": "SELECT date_key, stage, SUM(weighted_score_sum) / NULLIF(SUM(weight_sum), 0) AS score "
        "FROM v_dq_daily_score WHERE stage IN ('raw', 'cleansed') GROUP BY date_key, stage ORDER BY date_key",
        "incidents": "SELECT status, COUNT(*) AS n FROM dq_incident GROUP BY status",
        "alerts": "SELECT kind, status, COUNT(*) AS n FROM dq_alert_log GROUP BY kind, status ORDER BY kind",
        "checks": "SELECT status, COUNT(*) AS n FROM v_dq_result_latest GROUP BY status",
    }
    out: dict[str, Any] = {}
    with engine.connect() as conn:
        for name, sql in q.items():
            out[name] = [dict(r._mapping) for r in conn.execute(sa.text(sql))]
    out["scores"] = _scores_by_source(out["scores"])
    return out


def _scores_by_source(rows: list[dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    """source -> stage -> severity-weighted score, pooled from sums (never an average of percentages).
    Staging and cleansed tables are named stg_<source>_... / cln_<source>_...; star tables pool as 'star'."""
    sums: dict[tuple[str, str], list[float]] = {}
    for r in rows:
        parts = str(r["dataset_name"]).split("_")
        source = parts[1] if parts[0] in ("stg", "cln") and len(parts) > 1 else "star"
        acc = sums.setdefault((source, r["stage"]), [0.0, 0.0])
        acc[0] += float(r["w"] or 0)
        acc[1] += float(r["n"] or 0)
    table: dict[str, dict[str, float | None]] = {}
    for (source, stage), (w, n) in sorted(sums.items()):
        table.setdefault(source, {})[stage] = w / n if n else None
    return table
