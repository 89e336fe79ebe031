"""`utilityflow report`: the executive data-quality trend report (HTML, optionally PDF)."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli import warehouse_option
from monitor.runtime import load_settings, warehouse_engine


@click.command("report", help="Write the executive quality trend report (self-contained HTML, optional PDF).")
@click.option("--period", metavar="YYYY-MM", default=None, help="A calendar month, e.g. 2026-10.")
@click.option("--from", "start", metavar="YYYY-MM-DD", default=None, help="First day of a date range.")
@click.option("--to", "end", metavar="YYYY-MM-DD", default=None, help="Last day of a date range.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="The HTML file to write.")
@click.option("--pdf", is_flag=True, help="Also print a PDF next to it with headless Chromium.")
@warehouse_option
def command(period: str | None, start: str | None, end: str | None, out: str, pdf: bool,
            warehouse_url: str | None, config_file: str | None) -> None:
    """Without --period or --from/--to the report covers everything on record."""
    from monitor.report import parse_period, write_report

    chosen = parse_period(period, start, end)
    settings = load_settings(warehouse_url, config_file)
    engine = warehouse_engine(settings, read_only=True)
    result = write_report(engine, chosen, Path(out), pdf=pdf)
    data = result.data
    if data.empty:
        click.echo(f"wrote {result.html} (no data-quality results on record yet)")
        return
    h = data.headline
    assert h is not None
    score = "n/a" if h.score is None else f"{h.score * 100:.1f}"
    click.echo(f"wrote {result.html}: {h.current.label} score {score}, {len(data.top_checks)} failing checks listed")
    if result.pdf:
        click.echo(f"wrote {result.pdf}")
