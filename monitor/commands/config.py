"""`utilityflow config`: show the resolved settings with secrets masked."""

from __future__ import annotations

import json

import click

from monitor.cli import warehouse_option
from monitor.runtime import load_settings
from monitor.settings import ENV_PREFIX, SETTINGS


@click.command("config", help="Show the resolved settings (defaults < utilityflow.toml < environment), secrets masked.")
@warehouse_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def command(warehouse_url: str | None, config_file: str | None, fmt: str) -> None:
    described = load_settings(warehouse_url, config_file).describe()
    if fmt == "json":
        click.echo(json.dumps(described, indent=2))
        return
    for spec in SETTINGS:
        click.echo(f"{spec.name:<18} {described[spec.name]!s:<40} {ENV_PREFIX}{spec.name.upper()}")
        click.echo(f"{'':<18} {spec.help}")
