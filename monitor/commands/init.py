"""`utilityflow init`: create or upgrade the warehouse schema."""

from __future__ import annotations

import click

from monitor.cli import warehouse_option
from monitor.runtime import load_settings, warehouse_engine
from warehouse.engine import masked
from warehouse.migrate import migrate


@click.command("init", help="Create or upgrade the warehouse schema. Safe to run any number of times.")
@warehouse_option
def command(warehouse_url: str | None, config_file: str | None) -> None:
    settings = load_settings(warehouse_url, config_file)
    engine = warehouse_engine(settings)
    click.echo(f"warehouse: {masked(engine.url)}")
    for outcome in migrate(engine):
        note = f"{outcome.statements} statements" if outcome.status == "applied" else outcome.status
        click.echo(f"  {outcome.version:03d} {outcome.name:<20} {note}")
        if outcome.status == "changed_since_applied":
            click.echo(
                "    warning: this file changed after it was applied; applied migrations are history — "
                "put the change in a new migration.",
                err=True,
            )
