"""`utilityflow incidents list|ack|resolve`: data-quality incidents and their lifecycle."""

from __future__ import annotations

import getpass

import click

from monitor.cli import warehouse_option
from monitor.runtime import load_settings, warehouse_engine


@click.group("incidents", help="List, acknowledge and resolve data-quality incidents.")
@warehouse_option
@click.pass_context
def command(ctx: click.Context, warehouse_url: str | None, config_file: str | None) -> None:
    ctx.ensure_object(dict)
    ctx.obj.update(warehouse_url=warehouse_url, config_file=config_file)


def _engine(ctx: click.Context, warehouse_url: str | None, config_file: str | None):  # type: ignore[no-untyped-def]
    settings = load_settings(warehouse_url or ctx.obj.get("warehouse_url"), config_file or ctx.obj.get("config_file"))
    return warehouse_engine(settings)


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h{rest // 60:02d}m"


@command.command("list", help="List incidents, newest first (default: not resolved).")
@warehouse_option
@click.option("--status", type=click.Choice(["active", "open", "acknowledged", "resolved", "all"]), default="active",
              show_default=True)
@click.pass_context
def list_command(ctx: click.Context, warehouse_url: str | None, config_file: str | None, status: str) -> None:
    from monitor.incidents import list_incidents

    rows = list_incidents(_engine(ctx, warehouse_url, config_file), None if status == "all" else status)
    if not rows:
        click.echo(f"no {'' if status == 'all' else status + ' '}incidents.")
        return
    click.echo(f"{'id':>4}  {'status':<12} {'severity':<8} {'runs':>4}  {'opened':<16}  {'to ack':>7}  "
               f"{'to resolve':>10}  dataset:check")
    for i in rows:
        click.echo(f"{i.incident_id:>4}  {i.status:<12} {i.severity or '-':<8} {i.failing_runs:>4}  "
                   f"{i.opened_at:%Y-%m-%d %H:%M}  {_duration(i.seconds_to_ack):>7}  "
                   f"{_duration(i.seconds_to_resolve):>10}  {i.dedup_key}")


@command.command("ack", help="Acknowledge an open incident: you are on it.")
@warehouse_option
@click.argument("incident_id", type=int)
@click.option("--by", default=None, help="Who acknowledges (default: the current user).")
@click.option("--note", default="", help="What you are doing about it.")
@click.pass_context
def ack_command(ctx: click.Context, warehouse_url: str | None, config_file: str | None, incident_id: int,
                by: str | None, note: str) -> None:
    from monitor.incidents import acknowledge

    i = acknowledge(_engine(ctx, warehouse_url, config_file), incident_id, by or getpass.getuser(), note)
    click.echo(f"incident {i.incident_id} acknowledged by {i.acknowledged_by} after {_duration(i.seconds_to_ack)}")


@command.command("resolve", help="Resolve an incident by hand, with a reason.")
@warehouse_option
@click.argument("incident_id", type=int)
@click.option("--reason", required=True, help="Why it is resolved (fixed upstream, accepted, false alarm...).")
@click.option("--by", default=None, help="Who resolves (default: the current user).")
@click.pass_context
def resolve_command(ctx: click.Context, warehouse_url: str | None, config_file: str | None, incident_id: int,
                    reason: str, by: str | None) -> None:
    from monitor.incidents import resolve

    i = resolve(_engine(ctx, warehouse_url, config_file), incident_id, by or getpass.getuser(), reason)
    click.echo(f"incident {i.incident_id} resolved by {i.resolved_by} after {_duration(i.seconds_to_resolve)}")
