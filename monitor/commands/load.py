"""`utilityflow load`: load delivery files into the warehouse (stage -> cleanse -> match -> star)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from monitor.cli import warehouse_option
from monitor.errors import EXIT_COULD_NOT_RUN, EXIT_USAGE, MonitorError
from monitor.runtime import load_settings, warehouse_engine
from warehouse.schema.staging import SOURCES


@click.command("load", help=(
    "Load deliveries into the warehouse. Either --from DIR (every delivery of a generator output folder, "
    "in delivery order) or --source NAME FILE... (files of one source). Each file is one atomic batch; a "
    "file already loaded (same sha256) is skipped. Exit 2 when a file was refused."))
@click.option("--from", "from_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="A generator output folder (utilityflow generate --out).")
@click.option("--source", type=click.Choice(SOURCES), default=None, help="The source system of FILE...")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", help="Output format.")
@click.option("--timezone", "tz", default=None, help="Utility time zone (default: setting utility_timezone).")
@warehouse_option
def command(from_dir: Path | None, source: str | None, files: tuple[Path, ...], fmt: str, tz: str | None,
            warehouse_url: str | None, config_file: str | None) -> None:
    from loaders.errors import LoaderError
    from loaders.run import delivery_files
    from warehouse.engine import connect_checked
    from warehouse.migrate import applied_migrations

    if bool(from_dir) == bool(source or files):
        raise click.UsageError("give either --from DIR or --source NAME FILE... (not both, not neither)")
    if source and not files:
        raise click.UsageError("--source needs at least one FILE")
    settings = load_settings(warehouse_url, config_file)
    zone = _time_zone(tz, settings.utility_timezone)
    engine = warehouse_engine(settings)
    connect_checked(engine).close()
    if 5 not in applied_migrations(engine):
        raise MonitorError("the warehouse has no loader tables yet; run `utilityflow init` first",
                           code="not_initialised", exit_code=EXIT_USAGE)
    try:
        paths = delivery_files(from_dir) if from_dir else _check_files(source or "", files)
    except LoaderError as e:
        raise MonitorError(str(e), code=e.code, exit_code=EXIT_USAGE) from None
    if not paths:
        raise MonitorError(f"{from_dir}: no delivery files found (expected <source>/<feed>_<YYYYMMDD>.<ext>)",
                           code="no_deliveries", exit_code=EXIT_USAGE)
    summary = _run(engine, paths, zone, show=fmt == "table")
    if fmt == "json":
        click.echo(json.dumps(summary.to_dict(), indent=2, default=str))
    else:
        _print_summary(summary)
    if summary.count("failed"):
        raise MonitorError(f"{summary.count('failed')} file(s) refused; see the messages above (nothing of them "
                           "was loaded)", code="files_refused", exit_code=EXIT_USAGE)
    if summary.count("loaded") == 0 and summary.count("skipped") == 0:
        raise MonitorError("nothing was loaded", code="nothing_loaded", exit_code=EXIT_COULD_NOT_RUN)


def _check_files(source: str, files: tuple[Path, ...]) -> list[Path]:
    out = []
    for f in files:
        if not f.is_file():
            raise MonitorError(f"{f}: no such file", code="no_such_file", exit_code=EXIT_USAGE)
        if f.parent.name != source:
            # the parser dispatches on the folder name; a file outside its source folder is ambiguous
            raise MonitorError(f"{f}: a {source} delivery must sit in a folder named {source!r} "
                               f"(found {f.parent.name!r})", code="wrong_source", exit_code=EXIT_USAGE)
        out.append(f)
    return out


def _run(engine, paths, tz, show):  # noqa: ANN001, ANN202
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from loaders.run import load_files

    if not show:
        return load_files(engine, paths, tz=tz)
    with Progress(TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.fields[note]}"), transient=False) as bar:
        tasks: dict[str, int] = {}

        def on_progress(event) -> None:  # noqa: ANN001
            if event.source not in tasks:
                tasks[event.source] = bar.add_task(event.source, total=event.total, note="")
            if event.result is None:
                bar.update(tasks[event.source], note=event.file)
            else:
                bar.update(tasks[event.source], advance=1, note=f"{event.file}: {event.result.status}")
        return load_files(engine, paths, tz=tz, on_progress=on_progress)


def _print_summary(summary) -> None:  # noqa: ANN001
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console()
    t = Table(title="Batches by source")
    for col in ("source", "batches", "loaded", "skipped", "failed", "rows read", "loaded rows", "quarantined",
                "merged"):
        t.add_column(col, justify="left" if col == "source" else "right")
    for src, s in summary.by_source().items():
        t.add_row(src, *(str(s.get(k, 0)) for k in ("batches", "loaded", "skipped", "failed", "rows_read",
                                                     "rows_loaded", "rows_quarantined", "rows_merged")))
    console.print(t)
    if summary.quarantined_by_reason:
        q = Table(title="Quarantined by reason")
        q.add_column("reason")
        q.add_column("rows", justify="right")
        for k, v in summary.quarantined_by_reason.items():
            q.add_row(k, str(v))
        console.print(q)
    for b in summary.batches:
        if b.status in ("failed", "skipped"):
            # one unwrapped line per file, and never markup: a message quotes the delivered text
            line = Text.assemble((b.status, "red" if b.status == "failed" else "yellow"), ": ", b.message)
            console.print(line, soft_wrap=True, highlight=False)
    if summary.match:
        m = summary.match
        console.print(f"golden customers: {m.golden_customers} from {m.records} source records; match rate "
                      f"{m.match_rate:.1%}; links by rule: {m.links_by_rule or '-'}", soft_wrap=True)


__all__ = ["command", "EXIT_COULD_NOT_RUN"]


def _time_zone(option: str | None, setting: str) -> str:
    """The utility's time zone, checked before anything loads: a typo would silently shift every local time."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    zone = option or setting
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        where = "--timezone" if option else "the setting utility_timezone"
        raise MonitorError(f"unknown time zone {zone!r} (from {where}); use an IANA name such as America/Chicago",
                           code="bad_timezone", exit_code=EXIT_USAGE) from None
    return zone
