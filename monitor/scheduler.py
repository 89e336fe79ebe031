"""The scheduler: one long-lived APScheduler 3.x process (or `--once`) running one job per source.

A job run = pick up new deliveries in the source's drop folder -> load each -> run the checks on the new
batches -> anomaly detection -> incidents and alerts. The steps are plain callables (`JobSteps`), so the
loaders and the check runner plug in with one line each (`default_steps`).

- Run ledger: a job runs at most once per cron slot, after a restart too (`ops_schedule_run`).
- Locks: the process takes the 'scheduler' lock (a second scheduler says so and exits, or waits with
  --wait), and each job run takes the job's lock (PostgreSQL advisory lock; a lock file for DuckDB).
- Errors: a job that raises is recorded with its error and never stops the others. Transient errors
  (connection lost, warehouse busy) are retried with exponential backoff; terminal ones (a bad file) are
  not — a bad file is recorded in `ops_delivery` and the job goes on with the next file.
- Shutdown on SIGTERM/SIGINT: the delivery being loaded finishes (its load is one transaction), its checks
  and alerts run, no new delivery starts; the slot is left 'interrupted' so the next start takes it over.
- Logs: one structured line per event: `event=job_done job=cis-daily batches=2 run=17 duration_ms=840 ...`.
"""

from __future__ import annotations

import hashlib
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from monitor.errors import EXIT_USAGE, MonitorError
from monitor.schedule_config import JobConfig, ScheduleConfig, cron_trigger, load_schedule
from monitor.scheduler_state import LockBusy, claim_slot, exclusive, finish_slot, record_delivery, seen_files
from monitor.settings import Settings

log = logging.getLogger("utilityflow.scheduler")


class TransientJobError(MonitorError):
    """Worth retrying: the warehouse or a share was briefly unreachable."""

    code = "transient"
    transient = True


class TerminalJobError(MonitorError):
    """Not worth retrying until someone fixes something (a bad file, a missing step)."""

    code = "terminal"
    transient = False


@dataclass(frozen=True)
class Delivery:
    job: str
    source: str
    path: Path
    sha256: str
    size: int


LoadStep = Callable[[Engine, Delivery, Settings], "int | None"]
CheckStep = Callable[[Engine, list[int], Settings], "int | None"]
RunStep = Callable[[Engine, int, Settings], Any]


@dataclass
class JobSteps:
    """The pluggable steps of a job. `load` returns the new batch id; `check` scores the batches and
    returns the check run id; `detect` and `alert` act on that run."""

    load: LoadStep | None = None
    check: CheckStep | None = None
    detect: RunStep | None = None
    alert: RunStep | None = None
    discover: Callable[[JobConfig, Engine], list[Delivery]] | None = None


@dataclass
class JobOutcome:
    job: str
    slot: datetime
    status: str  # done | partial | failed | interrupted | skipped | locked
    attempts: int = 0
    deliveries: int = 0
    batches: list[int] = field(default_factory=list)
    run_id: int | None = None
    error_kind: str | None = None
    message: str = ""
    duration_ms: int = 0


def default_steps() -> JobSteps:
    """The production wiring: the loaders, the check registry, anomaly detection, incidents and alerts."""
    from monitor.alerts import dispatch_for_run
    from monitor.pipeline import check_step, load_step

    return JobSteps(load=load_step, check=check_step, detect=detect_step, alert=dispatch_for_run)


def detect_step(engine: Engine, run_id: int, settings: Settings) -> Any:
    """Anomaly detection on the run's metrics with the configured sensitivity and minimum history."""
    from monitor.anomaly import AnomalyRule, detect_anomalies

    rule = AnomalyRule(sensitivity=settings.anomaly_sensitivity, min_history=settings.anomaly_min_history)
    return detect_anomalies(engine, run_id, default_rule=rule)


def drop_folder_deliveries(job: JobConfig, engine: Engine) -> list[Delivery]:
    """Files matching the job's pattern in its drop folder that it has not picked up before (by sha256),
    in delivery order (`delivery_order`). Hidden and partial files (.tmp, .part) are left for the writer to
    finish."""
    if not job.drop_folder.is_dir():
        raise TerminalJobError(f"job {job.name!r}: drop folder {str(job.drop_folder)!r} does not exist; create it "
                               "or fix drop_folder in [schedule].")
    seen = seen_files(engine, job.name)
    out = []
    for path in sorted(job.drop_folder.glob(job.pattern), key=delivery_order):
        if not path.is_file() or path.name.startswith(".") or path.suffix in (".tmp", ".part"):
            continue
        digest = _sha256(path)
        if digest not in seen:
            seen.add(digest)
            out.append(Delivery(job.name, job.source, path, digest, path.stat().st_size))
    return out


def delivery_order(path: Path) -> tuple[Any, ...]:
    """Delivery day first, then the loaders' feed order within a day (reference data and dimensions before
    the facts that point at them), then the name. Names that are not deliveries sort last (by name)."""
    from loaders.errors import LoaderError
    from loaders.run import FEED_ORDER
    from loaders.sources.delivery import parse_name

    try:
        name = parse_name(path)
    except LoaderError:
        return (1, path.name)
    rank = FEED_ORDER.index(name.feed.name) if name.feed.name in FEED_ORDER else len(FEED_ORDER)
    return (0, name.day, rank, name.suffix or "", path.name)


def is_transient(error: BaseException) -> bool:
    """Transient (retry) or terminal (don't), decided by type: an error may say so itself (`transient`),
    as dlt's do; lost connections, timeouts and a busy warehouse are transient; anything else is not."""
    flag = getattr(error, "transient", None)
    if flag is not None:
        return bool(flag)
    import sqlalchemy.exc as sa_exc

    from warehouse.errors import WarehouseUnavailable

    if isinstance(error, ConnectionError | TimeoutError | WarehouseUnavailable):
        return True
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, sa_exc.OperationalError | sa_exc.DisconnectionError | sa_exc.TimeoutError)


def latest_slot(cron: str, timezone: str, now: datetime, lookback: timedelta) -> datetime | None:
    """The latest cron fire time at or before `now` and within `lookback` (UTC, naive), or None."""
    trigger = cron_trigger(cron, timezone)
    now = _aware(now)
    t = trigger.get_next_fire_time(None, now - lookback)
    last = None
    while t is not None and t <= now:
        last = t
        t = trigger.get_next_fire_time(t, t + timedelta(seconds=1))
    return last.astimezone(UTC).replace(tzinfo=None) if last else None


def run_job(engine: Engine, settings: Settings, config: ScheduleConfig, job: JobConfig, slot: datetime,
            steps: JobSteps, stop: threading.Event | None = None) -> JobOutcome:
    """Run one job for one slot: lock, claim the slot, retry transient errors, record the outcome.
    Never raises for a job failure (it is in the outcome and the ledger)."""
    stop = stop or threading.Event()
    started = time.perf_counter()
    outcome = JobOutcome(job.name, slot, "skipped")
    try:
        with exclusive(engine, job.name, config.lock_dir):
            if not claim_slot(engine, job.name, slot, _now()):
                outcome.message = "already ran for this slot"
                _event("job_skipped", job=job.name, slot=slot, reason="already ran")
                return outcome
            _event("job_start", job=job.name, slot=slot)
            _attempts(engine, settings, config, job, slot, steps, stop, outcome)
            outcome.duration_ms = int((time.perf_counter() - started) * 1000)
            finish_slot(engine, job.name, slot, status=outcome.status, attempts=outcome.attempts,
                        deliveries=outcome.deliveries, batches=len(outcome.batches), run_id=outcome.run_id,
                        error_kind=outcome.error_kind, message=outcome.message[:2000], finished_at=_now())
    except LockBusy as e:
        outcome.status, outcome.message = "locked", str(e)
    outcome.duration_ms = int((time.perf_counter() - started) * 1000)
    _event("job_done", job=job.name, slot=slot, outcome=outcome.status, attempts=outcome.attempts,
           deliveries=outcome.deliveries, batches=len(outcome.batches), run=outcome.run_id,
           duration_ms=outcome.duration_ms, error=outcome.message or None,
           level=logging.INFO if outcome.status in ("done", "skipped") else logging.WARNING)
    return outcome


def _attempts(engine: Engine, settings: Settings, config: ScheduleConfig, job: JobConfig, slot: datetime,
              steps: JobSteps, stop: threading.Event, outcome: JobOutcome) -> None:
    while True:
        outcome.attempts += 1
        try:
            _run_steps(engine, settings, job, slot, steps, stop, outcome)
            return
        except Exception as e:  # a job failure is recorded, never raised
            from monitor.masking import scrub

            transient = is_transient(e)
            outcome.error_kind = "transient" if transient else "terminal"
            outcome.message = scrub(f"{type(e).__name__}: {e}")
            if not transient or outcome.attempts > config.retries or stop.is_set():
                outcome.status = "failed"
                return
            delay = config.retry_backoff_seconds * 2 ** (outcome.attempts - 1)
            _event("job_retry", job=job.name, slot=slot, attempt=outcome.attempts, delay_s=delay,
                   error=outcome.message, level=logging.WARNING)
            if stop.wait(delay):
                outcome.status = "interrupted"
                return


def _run_steps(engine: Engine, settings: Settings, job: JobConfig, slot: datetime, steps: JobSteps,
               stop: threading.Event, outcome: JobOutcome) -> None:
    if steps.load is None or steps.check is None:
        missing = " and ".join(n for n, s in (("load", steps.load), ("check", steps.check)) if s is None)
        raise TerminalJobError(f"no {missing} step is wired into the scheduler (monitor.scheduler.default_steps)")
    deliveries = (steps.discover or drop_folder_deliveries)(job, engine)
    failed = 0
    interrupted = False
    for delivery in deliveries:
        if stop.is_set():
            interrupted = True
            break
        began = time.perf_counter()
        try:
            batch_id = steps.load(engine, delivery, settings)
        except Exception as e:
            if is_transient(e):
                raise  # the whole job is retried; files already loaded are not picked up again
            failed += 1
            record_delivery(engine, job.name, slot, delivery.path, delivery.sha256, delivery.size, "failed",
                            message=f"{type(e).__name__}: {e}", now=_now())
            _event("delivery", job=job.name, file=delivery.path.name, outcome="failed", error=str(e)[:300],
                   level=logging.WARNING)
            continue
        outcome.deliveries += 1
        if batch_id is not None:
            outcome.batches.append(int(batch_id))
        record_delivery(engine, job.name, slot, delivery.path, delivery.sha256, delivery.size, "loaded",
                        batch_id=batch_id, now=_now())
        _event("delivery", job=job.name, file=delivery.path.name, batch=batch_id, outcome="loaded",
               duration_ms=int((time.perf_counter() - began) * 1000))
    outcome.deliveries += failed
    if outcome.batches:
        run_id = steps.check(engine, outcome.batches, settings)
        outcome.run_id = run_id
        if run_id is not None:
            for step in (steps.detect, steps.alert):
                if step is not None:
                    step(engine, run_id, settings)
    outcome.status = "interrupted" if interrupted else ("partial" if failed else "done")
    if failed:
        outcome.message = f"{failed} of {len(deliveries)} files failed to load; see ops_delivery"


def run_once(settings: Settings, *, config: ScheduleConfig | None = None, config_file: str | None = None,
             steps: JobSteps | None = None, now: datetime | None = None, engine: Engine | None = None,
             wait_seconds: float = 0.0) -> list[JobOutcome]:
    """Run every due job one time (the latest slot of its cron within `once_lookback_hours` that has not
    run yet) and return the outcomes. For cron users, tests and the demo (pass `now` to replay days)."""
    config = config or load_schedule(config_file)
    steps = steps or default_steps()
    engine = engine or _engine(settings)
    at = now or datetime.now(UTC)
    outcomes = []
    with exclusive(engine, "scheduler", config.lock_dir, wait_seconds), _instance_kept_open(engine):
        _discard_interrupted_loads(engine)
        for job in config.jobs:
            if not job.enabled:
                continue
            slot = latest_slot(job.cron, config.timezone, at, timedelta(hours=config.once_lookback_hours))
            if slot is None:
                _event("job_not_due", job=job.name)
                continue
            outcomes.append(run_job(engine, settings, config, job, slot, steps))
    return outcomes


def _discard_interrupted_loads(engine: Engine) -> None:
    """Before any job of this scheduler loads: undo what a killed earlier process left half-loaded."""
    from loaders.live import discard_interrupted
    from monitor.scoring import has_table

    if has_table(engine, "dim_batch"):
        for batch_id in discard_interrupted(engine):
            _event("interrupted_batch_discarded", batch=batch_id, level=logging.WARNING)


@contextmanager
def _instance_kept_open(engine: Engine) -> Iterator[None]:
    """DuckDB opens (and on the last close checkpoints) the database file per connection; one idle
    connection held while the due jobs run keeps the instance open between their many short connections
    (about 0.1 s each otherwise). Released afterwards, so the console can read between runs."""
    if engine.dialect.name != "duckdb":
        yield
        return
    with engine.connect():
        yield


def serve(settings: Settings, *, config: ScheduleConfig | None = None, config_file: str | None = None,
          steps: JobSteps | None = None, run_now: bool = False, wait_seconds: float = 0.0,
          install_signals: bool = True) -> None:
    """Run the scheduler until SIGTERM/SIGINT. `run_now` also runs every job once at start."""
    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.blocking import BlockingScheduler

    config = config or load_schedule(config_file)
    jobs = [j for j in config.jobs if j.enabled]
    if not jobs:
        raise MonitorError("no jobs configured: add [[schedule.jobs]] to utilityflow.toml (see docs/scheduler.md).",
                           code="no_jobs", exit_code=EXIT_USAGE)
    steps = steps or default_steps()
    engine = _engine(settings)
    stop = threading.Event()
    with exclusive(engine, "scheduler", config.lock_dir, wait_seconds) as lock:
        _discard_interrupted_loads(engine)
        scheduler = BlockingScheduler(
            timezone=config.timezone, executors={"default": ThreadPoolExecutor(max_workers=max(2, len(jobs)))},
            job_defaults={"misfire_grace_time": config.misfire_grace_time, "coalesce": config.coalesce,
                          "max_instances": config.max_instances})
        for job in jobs:
            scheduler.add_job(_fire, cron_trigger(job.cron, config.timezone), id=job.name, name=job.name,
                              args=(engine, settings, config, job, steps, stop),
                              next_run_time=datetime.now(UTC) if run_now else None)

        def on_event(event: JobExecutionEvent) -> None:
            kind = "job_missed" if event.code == EVENT_JOB_MISSED else "job_crashed"
            _event(kind, job=event.job_id, slot=event.scheduled_run_time, error=repr(event.exception)[:300],
                   level=logging.WARNING)

        scheduler.add_listener(on_event, EVENT_JOB_ERROR | EVENT_JOB_MISSED)

        def on_signal(signum: int, _frame: Any) -> None:
            _event("shutdown_requested", signal=signal.Signals(signum).name)
            stop.set()
            if scheduler.running:
                scheduler.shutdown(wait=True)  # running jobs finish their current delivery first

        if install_signals:
            signal.signal(signal.SIGTERM, on_signal)
            signal.signal(signal.SIGINT, on_signal)
        _event("scheduler_start", jobs=",".join(j.name for j in jobs), lock=lock,
               misfire_grace_s=config.misfire_grace_time, coalesce=config.coalesce,
               max_instances=config.max_instances)
        scheduler.start()
    _event("scheduler_stopped")


def _fire(engine: Engine, settings: Settings, config: ScheduleConfig, job: JobConfig, steps: JobSteps,
          stop: threading.Event) -> None:
    slot = latest_slot(job.cron, config.timezone, datetime.now(UTC),
                       timedelta(seconds=config.misfire_grace_time + 60))
    if slot is None or stop.is_set():
        return
    run_job(engine, settings, config, job, slot, steps, stop)


def _engine(settings: Settings) -> Engine:
    from monitor.runtime import warehouse_engine

    return warehouse_engine(settings)


def _event(event: str, *, level: int = logging.INFO, **fields: Any) -> None:
    """One structured log line: event=... key=value ..., values quoted when they contain spaces."""
    parts = [f"event={event}"]
    for key, value in fields.items():
        if value is None:
            continue
        text = value.isoformat(sep="T") if isinstance(value, datetime) else str(value)
        if not text or any(c in text for c in ' ="\n'):
            text = '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'
        parts.append(f"{key}={text}")
    log.log(level, " ".join(parts))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)
