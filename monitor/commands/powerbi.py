"""`utilityflow powerbi export|push`: the Power BI project over the views, and optional real-time tiles."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli import warehouse_option
from monitor.errors import EXIT_USAGE, ConfigError
from monitor.runtime import load_settings, warehouse_engine


@click.group("powerbi", help="Power BI: export the PBIP project, or push batch scores to a push dataset.")
@warehouse_option
@click.pass_context
def command(ctx: click.Context, warehouse_url: str | None, config_file: str | None) -> None:
    """Power BI commands. --warehouse/--config here apply to `push` (which also takes them itself)."""
    ctx.ensure_object(dict)
    ctx.obj["powerbi"] = (warehouse_url, config_file)


@command.command("export", help="Write the Power BI project (TMDL model, PBIR report, .pbids) over the views.")
@click.option("--server", required=True, help="Synapse SQL endpoint, e.g. myws.sql.azuresynapse.net.")
@click.option("--database", required=True, help="Warehouse database holding the UtilityFlow views.")
@click.option("--schema", default="dbo", show_default=True, help="Schema of the views.")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Folder to write into.")
def export_command(server: str, database: str, schema: str, out: str) -> None:
    from monitor.powerbi.export import export

    files = export(server, database, Path(out), schema=schema)
    click.echo(f"wrote {len(files)} files to {out}: open {Path(out) / 'UtilityFlow.pbip'} in Power BI Desktop")


@command.command("push", help="Post new batch scores to a Power BI push dataset (REST API).")
@click.option("--api-url", default=None, help="REST API base URL (default: setting powerbi_api_url).")
@click.option("--state", "state_file", default=None, type=click.Path(dir_okay=False),
              help="Push state file (default: setting powerbi_push_state).")
@warehouse_option
@click.pass_context
def push_command(ctx: click.Context, api_url: str | None, state_file: str | None, warehouse_url: str | None,
                 config_file: str | None) -> None:
    from monitor.powerbi.push import PushClient, push_new_batch_scores

    group_url, group_config = (ctx.obj or {}).get("powerbi", (None, None))
    settings = load_settings(warehouse_url or group_url, config_file or group_config)
    if not settings.powerbi_token:
        raise ConfigError("no Power BI token: set UTILITYFLOW_POWERBI_TOKEN to a Microsoft Entra access token "
                          "for the Power BI REST API.", exit_code=EXIT_USAGE)
    client = PushClient(api_url or settings.powerbi_api_url, settings.powerbi_token)
    engine = warehouse_engine(settings, read_only=True)
    outcome = push_new_batch_scores(engine, client, Path(state_file or settings.powerbi_push_state))
    click.echo(f"pushed {outcome.rows} batch scores in {outcome.requests} requests to dataset {outcome.dataset_id} "
               f"(up to batch {outcome.last_batch_id})")
