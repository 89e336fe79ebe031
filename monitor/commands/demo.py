"""`utilityflow demo`: the whole product end to end on an embedded DuckDB file.

generate six sources' deliveries -> init the warehouse -> replay the days through the scheduler (load,
cleanse, match, score raw/cleansed/star, anomalies, incidents, alerts to the log) -> executive report ->
the command that opens the console.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from monitor.cli import warehouse_option
from monitor.runtime import load_settings, warehouse_engine
from warehouse.engine import masked
from warehouse.migrate import migrate


@click.command("demo", help="Run the end-to-end demo: generate -> load -> check -> alert -> report.")
@click.option("--customers", type=click.IntRange(min=10), default=10_000, show_default=True,
              help="Customers in the generated world.")
@click.option("--days", type=click.IntRange(min=1, max=366), default=14, show_default=True,
              help="Days of deliveries to replay.")
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), default="2026-10-26", show_default=True,
              help="First delivery day (the default period spans the 2026-11-01 DST change).")
@click.option("--seed", type=int, default=42, show_default=True, help="Generator seed.")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=Path("demo"),
              show_default=True, help="Where deliveries, drop folders and the report go.")
@warehouse_option
def command(customers: int, days: int, start: object, seed: int, workdir: Path, warehouse_url: str | None,
            config_file: str | None) -> None:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from monitor.demo import DemoOptions, generate_deliveries, replay_days, summary

    console = Console(stderr=False)
    if not console.is_terminal:  # a log or a pipe: rich assumes 80 columns and would cut the row counts short
        console = Console(stderr=False, width=max(console.width, 120))
    settings = load_settings(warehouse_url, config_file)
    options = DemoOptions(workdir=workdir, customers=customers, days=days,
                          start=start.date() if hasattr(start, "date") else date.fromisoformat(str(start)),
                          seed=seed)
    workdir.mkdir(parents=True, exist_ok=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())

    console.print(f"[bold]1. generate[/] {customers:,} customers x {days} days ({options.trend} quality) "
                  f"-> {workdir / 'deliveries'}")
    with Progress(TextColumn("   {task.description}"), TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("generating")
        deliveries = generate_deliveries(options, lambda label: bar.update(task, description=str(label)))

    engine = warehouse_engine(settings)
    console.print(f"[bold]2. init[/] {masked(engine.url)}")
    applied = sum(1 for o in migrate(engine) if o.status == "applied")
    console.print(f"   {applied} migrations applied now")

    console.print("[bold]3. replay the days through the scheduler[/] (load -> match -> check -> anomalies -> "
                  "incidents -> alerts)")
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("   days", total=days)

        def on_day(day: date, outcomes: list) -> None:
            failed = [o for o in outcomes if o.status not in ("done", "skipped")]
            batches = sum(len(o.batches) for o in outcomes)
            note = f" ({len(failed)} job(s) not done: {', '.join(o.job for o in failed)})" if failed else ""
            bar.console.print(f"   {day}: {batches} batches{note}")
            bar.advance(task)

        replay_days(engine, settings, options, deliveries, on_day=on_day)

    _print_summary(console, summary(engine))

    console.print("[bold]4. report[/]")
    from monitor.report import write_demo_report

    report = write_demo_report(engine, workdir)
    console.print(f"   executive report: {report.html}")
    from monitor.commands.dashboard import open_command

    console.print(f"[bold]5. console[/]  {open_command(settings.warehouse_url)}")


def _print_summary(console: object, data: dict) -> None:
    from rich.table import Table

    batches = Table(title="Batches by source (row conservation: read = loaded + quarantined + merged)")
    for col in ("source", "batches", "rows read", "loaded", "quarantined", "merged", "skipped", "failed"):
        batches.add_column(col, justify="left" if col == "source" else "right")
    for r in data["batches"]:
        batches.add_row(r["source"], *(f"{int(r[k] or 0):,}" for k in (
            "batches", "rows_read", "rows_loaded", "rows_quarantined", "rows_merged", "skipped", "failed")))
    console.print(batches)  # type: ignore[attr-defined]

    if data["quarantine"]:
        reasons = ", ".join(f"{r['reason_code']} {int(r['n']):,}" for r in data["quarantine"])
        console.print(f"Quarantined by reason: {reasons}")  # type: ignore[attr-defined]
    cust = data["customers"][0] if data["customers"] else {}
    if cust.get("records"):
        records, golden = int(cust["records"]), int(cust["golden"])
        console.print(  # type: ignore[attr-defined]
            f"Golden customers: {golden:,} from {records:,} source records "
            f"(match rate {(records - golden) / records:.1%} of records folded into another)")

    scores = Table(title="Quality score before (raw) and after (cleansed) cleansing, by source")
    for col in ("source", "raw", "cleansed", "improvement"):
        scores.add_column(col, justify="left" if col == "source" else "right")
    fmt = lambda v: "-" if v is None else f"{v * 100:.1f}"  # noqa: E731
    star = []
    for source, stages in data["scores"].items():
        raw, clean = stages.get("raw"), stages.get("cleansed")
        star += [v for stage, v in stages.items() if stage == "star" and v is not None]
        if raw is None and clean is None:
            continue  # the star tables have one stage of their own (below)
        delta = "-" if raw is None or clean is None else f"{(clean - raw) * 100:+.1f} pts"
        scores.add_row(source, fmt(raw), fmt(clean), delta)
    scores.caption = ("cleansed suites also check what cleansing standardised (e.g. placeholder contacts "
                      "nulled), so a source can score lower after cleansing")
    console.print(scores)  # type: ignore[attr-defined]
    if star:
        console.print(f"Star schema (published dimensions and facts): {fmt(star[0])}")  # type: ignore[attr-defined]
    inc = ", ".join(f"{r['status']} {int(r['n'])}" for r in data["incidents"]) or "none"
    alerts = ", ".join(f"{r['kind']}/{r['status']} {int(r['n'])}" for r in data["alerts"]) or "none"
    console.print(f"Incidents: {inc}.  Alerts: {alerts}.")  # type: ignore[attr-defined]
