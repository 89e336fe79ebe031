"""`utilityflow generate`: write synthetic six-source deliveries and their ground-truth manifest."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path

import click


def _start(ctx: click.Context, param: click.Parameter, value: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in YYYY-MM-DD form (e.g. 2026-11-01)") from None


def _out(ctx: click.Context, param: click.Parameter, value: str) -> Path:
    path = Path(value)
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".utilityflow-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        raise click.BadParameter(f"cannot write to {path}: {e.strerror or e}") from None
    return path


@click.command("generate")
@click.option(
    "--customers",
    type=click.IntRange(min=1),
    required=True,
    metavar="N",
    help="Number of true customers (people and organisations) in the world.",
)
@click.option(
    "--days",
    type=click.IntRange(min=1, max=366),
    required=True,
    metavar="D",
    help="Number of daily delivery sets, starting at --start.",
)
@click.option(
    "--start",
    callback=_start,
    required=True,
    metavar="YYYY-MM-DD",
    help="First business day delivered (day 1 carries the CIS and GIS full snapshots).",
)
@click.option(
    "--seed",
    type=int,
    required=True,
    metavar="S",
    help="Random seed: the same seed and options give byte-identical files.",
)
@click.option(
    "--out",
    callback=_out,
    required=True,
    metavar="DIR",
    help="Output folder: <source>/<feed>_<YYYYMMDD>[_<suffix>].<ext>, manifest.json, _truth/.",
)
@click.option(
    "--defect-rate-scale",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    metavar="X",
    help="Multiply every defect class's default rate by X (0 = clean data).",
)
@click.option(
    "--trend",
    type=click.Choice(["improving", "flat", "degrading"]),
    default="flat",
    show_default=True,
    help="How defect rates move over the days (improving: 1.6x down to 0.2x).",
)
@click.option(
    "--scale-profile",
    "profile",
    type=click.Choice(["full", "utility-month"]),
    default="full",
    show_default=True,
    help="full: every source every day, MDM for every meter. utility-month: MDM on day 1 only, "
    "with register reads for every meter and intervals for a 5% sample.",
)
def command(
    customers: int,
    days: int,
    start: date,
    seed: int,
    out: Path,
    defect_rate_scale: float,
    trend: str,
    profile: str,
) -> None:
    """Generate synthetic deliveries from the six source systems with a ground-truth defect manifest.

    Writes one consistent world (customers, accounts, premises, service points, meters, tariffs) as the
    CIS, MDM, CRM, payments, work/outage and GIS systems deliver it, with every known defect class
    injected at a configurable rate and recorded in DIR/manifest.json (see loaders/synth/MANIFEST.md).
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from loaders.synth.generator import STEPS_PER_DAY, generate
    from loaders.synth.params import GenerateParams

    params = GenerateParams(
        customers=customers,
        days=days,
        start=start,
        seed=seed,
        out=out,
        defect_rate_scale=defect_rate_scale,
        trend=trend,  # type: ignore[arg-type]
        profile=profile,  # type: ignore[arg-type]
    )
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, transient=True, disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task("generating", total=days * STEPS_PER_DAY)

        def tick(label: str) -> None:
            bar.update(task, advance=1, description=label)

        manifest = generate(params, tick)
    click.echo(f"wrote {manifest}")
