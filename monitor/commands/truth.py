"""`utilityflow truth`: recall and precision of the shipped checks per defect class of a generator manifest."""

from __future__ import annotations

import json

import click

from monitor.cli import warehouse_option
from monitor.runtime import load_settings, warehouse_engine


@click.command("truth", help="Compare every check's failed rows with a generator manifest: recall and precision "
                             "per defect class (the warehouse must hold that generator output, loaded).")
@click.option("--manifest", "manifest_file", required=True, type=click.Path(dir_okay=False),
              help="manifest.json of the `utilityflow generate` output that was loaded.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@warehouse_option
def command(manifest_file: str, fmt: str, warehouse_url: str | None, config_file: str | None) -> None:
    from monitor.truth import load_manifest, measure, report

    manifest = load_manifest(manifest_file)
    settings = load_settings(warehouse_url, config_file)
    engine = warehouse_engine(settings, read_only=True)
    try:
        out = report(measure(engine, manifest))
    finally:
        engine.dispose()
    if fmt == "json":
        click.echo(json.dumps(out, indent=1))
        return
    _table(out)


def _table(out: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title="Checks against the manifest (row grain: file + source row)")
    for c in ("class", "instances", "flagged", "recall", "precision", "note"):
        t.add_column(c, justify="right" if c in ("instances", "flagged", "recall", "precision") else "left")
    for name, c in out["classes"].items():
        fmt = lambda v: "-" if v is None else f"{v:.3f}"  # noqa: E731
        note = "exception" if c.get("exception") else "; ".join(c.get("problems", []))
        t.add_row(name, str(c["instances"]), str(c["flagged"]), fmt(c["recall"]), fmt(c["precision"]), note)
    Console(width=140).print(t)
    s = out["summary"]
    click.echo(f"{s['at_target']} of {s['measured']} measured classes at >= 0.99 recall and precision; "
               f"{s['exceptions']} named exceptions (see --format json)")
