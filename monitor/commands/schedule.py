"""`utilityflow schedule [--once]`: run the scheduler (jobs from [schedule] in utilityflow.toml)."""

from __future__ import annotations

import logging

import click

from monitor.cli import warehouse_option
from monitor.errors import EXIT_COULD_NOT_RUN, EXIT_USAGE, MonitorError
from monitor.runtime import load_settings


@click.command("schedule", help="Run the scheduler: per source, pick up deliveries -> load -> check -> "
               "anomalies -> alerts, on each job's cron (see docs/scheduler.md).")
@warehouse_option
@click.option("--once", is_flag=True, help="Run every due job one time and exit (for cron users and tests).")
@click.option("--run-now", is_flag=True, help="Also run every job once at start, then keep to the schedule.")
@click.option("--wait", "wait_seconds", type=float, default=0.0, show_default=True, metavar="SECONDS",
              help="If another scheduler holds the lock, wait this long for it instead of exiting.")
def command(warehouse_url: str | None, config_file: str | None, once: bool, run_now: bool,
            wait_seconds: float) -> None:
    from monitor.schedule_config import load_schedule
    from monitor.scheduler import run_once, serve

    settings = load_settings(warehouse_url, config_file)
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    config = load_schedule(config_file)
    if not config.jobs:
        raise MonitorError("no jobs configured: add [[schedule.jobs]] to utilityflow.toml (see docs/scheduler.md).",
                           code="no_jobs", exit_code=EXIT_USAGE)
    if not once:
        serve(settings, config=config, run_now=run_now, wait_seconds=wait_seconds)
        return
    outcomes = run_once(settings, config=config, wait_seconds=wait_seconds)
    for o in outcomes:
        click.echo(f"{o.job:<24} slot {o.slot:%Y-%m-%d %H:%M}  {o.status:<11} deliveries {o.deliveries:<3} "
                   f"batches {len(o.batches):<3} run {o.run_id or '-':<5} {o.message}")
    if not outcomes:
        click.echo("no job was due.")
    failed = [o.job for o in outcomes if o.status in ("failed", "locked")]
    if failed:
        raise MonitorError(f"{len(failed)} of {len(outcomes)} jobs failed ({', '.join(failed)}); see the lines above "
                           "and `ops_schedule_run`.", code="jobs_failed", exit_code=EXIT_COULD_NOT_RUN)
