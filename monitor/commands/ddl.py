"""`utilityflow ddl`: print the full warehouse DDL for one dialect."""

from __future__ import annotations

import click

from monitor.cli import warehouse_option
from monitor.runtime import load_settings
from warehouse.dialects import DIALECTS, get_dialect
from warehouse.engine import parse_url
from warehouse.render import full_ddl


@click.command("ddl", help="Print the full warehouse DDL (every migration) for one dialect.")
@click.option(
    "--dialect",
    "dialect_name",
    type=click.Choice(sorted(DIALECTS), case_sensitive=False),
    default=None,
    help="duckdb, postgres or synapse (Azure Synapse dedicated pool / SQL Server, T-SQL). "
    "Default: the dialect of the configured warehouse.",
)
@warehouse_option
def command(dialect_name: str | None, warehouse_url: str | None, config_file: str | None) -> None:
    if dialect_name is None:
        url = parse_url(load_settings(warehouse_url, config_file).warehouse_url)
        dialect_name = url.get_backend_name()
    click.echo(full_ddl(get_dialect(dialect_name)), nl=False)
