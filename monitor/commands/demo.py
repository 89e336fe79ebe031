"""`utilityflow demo`: the end-to-end demo on an embedded DuckDB file.

Today it creates the warehouse and shows what it holds; each later stage (generate -> load -> check ->
alert -> report) is added here as it lands, so the README's first command always runs the whole product.
"""

from __future__ import annotations

import click
import sqlalchemy as sa

from monitor.cli import warehouse_option
from monitor.runtime import load_settings, warehouse_engine
from warehouse.engine import masked
from warehouse.migrate import migrate
from warehouse.schema import migrations


@click.command("demo", help="Run the end-to-end demo (default warehouse: ./utilityflow.duckdb).")
@warehouse_option
def command(warehouse_url: str | None, config_file: str | None) -> None:
    settings = load_settings(warehouse_url, config_file)
    engine = warehouse_engine(settings)
    click.echo(f"1. init: creating the warehouse schema in {masked(engine.url)}")
    outcomes = migrate(engine)
    applied = sum(1 for o in outcomes if o.status == "applied")
    click.echo(f"   {len(outcomes)} migrations ({applied} applied now, the rest already there)")
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        tables = set(inspector.get_table_names())
        views = set(inspector.get_view_names())
    for m in migrations():
        present = sum(t.name in tables for t in m.tables) + sum(v.name in views for v in m.views)
        click.echo(f"   {m.filename:<28} {present} of {len(m.tables) + len(m.views)} objects present")
    click.echo("Next: `utilityflow --help` lists every command.")
    from monitor.commands.dashboard import open_command

    click.echo(f"Open the quality console: {open_command(settings.warehouse_url)}")
