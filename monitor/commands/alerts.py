"""`utilityflow alerts list|test`: the alert log, and a sample alert to the configured destination."""

from __future__ import annotations

import click

from monitor.cli import warehouse_option
from monitor.errors import EXIT_COULD_NOT_RUN, MonitorError
from monitor.runtime import load_settings, warehouse_engine


@click.group("alerts", help="Alerts sent, failed or logged; send a test alert.")
@warehouse_option
@click.pass_context
def command(ctx: click.Context, warehouse_url: str | None, config_file: str | None) -> None:
    ctx.ensure_object(dict)
    ctx.obj.update(warehouse_url=warehouse_url, config_file=config_file)


def _settings(ctx: click.Context, warehouse_url: str | None, config_file: str | None):  # type: ignore[no-untyped-def]
    return load_settings(warehouse_url or ctx.obj.get("warehouse_url"), config_file or ctx.obj.get("config_file"))


@command.command("list", help="List alerts, newest first (status: pending, sent, failed, logged).")
@warehouse_option
@click.option("--status", type=click.Choice(["pending", "sent", "failed", "logged"]), default=None)
@click.option("--limit", type=int, default=50, show_default=True)
@click.pass_context
def list_command(ctx: click.Context, warehouse_url: str | None, config_file: str | None, status: str | None,
                 limit: int) -> None:
    from monitor.alerts import list_alerts

    rows = list_alerts(warehouse_engine(_settings(ctx, warehouse_url, config_file)), status=status, limit=limit)
    if not rows:
        click.echo("no alerts yet.")
        return
    click.echo(f"{'id':>5}  {'created':<19}  {'run':>5}  {'batch':>5}  {'kind':<13} {'to':<8} {'channel':<16} "
               f"{'status':<8} tries  response")
    for r in rows:
        click.echo(f"{r.alert_id:>5}  {r.created_at:%Y-%m-%d %H:%M:%S}  {r.run_id or '-':>5}  {r.batch_id or '-':>5}  "
                   f"{r.kind:<13} {r.destination:<8} {(r.channel or '-')[:16]:<16} {r.status:<8} {r.attempts:>5}  "
                   f"{(r.response or '')[:60]}")


@command.command("test", help="Send a sample alert to the configured destination and show the response.")
@warehouse_option
@click.pass_context
def test_command(ctx: click.Context, warehouse_url: str | None, config_file: str | None) -> None:
    from monitor.alerts import send_test_alert
    from monitor.alerts.delivery import destination

    settings = _settings(ctx, warehouse_url, config_file)
    alert_id, outcome = send_test_alert(warehouse_engine(settings), settings)
    click.echo(f"alert {alert_id} -> {destination(settings)}: {outcome.status} ({outcome.response})")
    if outcome.status == "failed":
        raise MonitorError(f"test alert {alert_id} was not delivered: {outcome.response}", code="alert_failed",
                           exit_code=EXIT_COULD_NOT_RUN)
