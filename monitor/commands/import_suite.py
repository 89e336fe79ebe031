"""`utilityflow import gx|soda FILE --dataset D [--out FILE.yml]`: a GX expectation suite or a SodaCL
file as a native UtilityFlow suite file.

Expectations / SodaCL checks without a native translation are kept as `external` checks (run by GX or
Soda where they support the warehouse) and listed on stderr; `--strict` refuses the import instead.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from monitor.cli import warehouse_option
from monitor.errors import EXIT_OK, EXIT_USAGE, ConfigError


@click.command("import", help="Translate a GX expectation suite (gx) or a SodaCL file (soda) into a suite file.")
@click.argument("kind", type=click.Choice(["gx", "soda"]))
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option("--dataset", required=True, help="Table or view the suite checks (SodaCL: its 'checks for' section).")
@click.option("--stage", type=click.Choice(["raw", "cleansed", "star"]), default="raw", show_default=True)
@click.option("--owner", default=None, help="Owner written into the suite.")
@click.option("--out", "out_file", type=click.Path(dir_okay=False), default=None, help="Write here (default: stdout).")
@click.option("--strict", is_flag=True, help="Exit 2 if any check has no native translation.")
@warehouse_option
def command(
    kind: str,
    source: str,
    dataset: str,
    stage: str,
    owner: str | None,
    out_file: str | None,
    strict: bool,
    warehouse_url: str | None,
    config_file: str | None,
) -> None:
    import yaml

    from checks.adapters import gx, sodacl
    from checks.adapters.suite_form import external_check
    from checks.suite import parse_suite

    try:
        if kind == "gx":
            t = gx.translate(gx.load_gx_suite(source))
            checks = t.checks
            refused = [(r.message(), external_check(r.check_id, "gx", _json(r), r.reason)) for r in t.refused]
        else:
            st = sodacl.translate(sodacl.load_sodacl(source), dataset)
            checks = st.checks
            refused = [(r.message(), external_check(r.check_id, "soda", r.check, r.reason)) for r in st.refused]
    except (gx.GxSuiteError, sodacl.SodaClError) as e:
        raise ConfigError(str(e)) from None
    head = {"dataset": dataset, "stage": stage} | ({"owner": owner} if owner else {})
    doc = {**head, "checks": checks + [ext for _, ext in refused]}
    text = (
        f"# Translated by `utilityflow import {kind}` from {Path(source).name}: "
        f"{len(checks)} native, {len(refused)} external\n"
        + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=120)
    )
    parse_suite(text, out_file or "<stdout>")  # what we write must load
    for message, _ in refused:
        click.echo(f"{'refused' if strict else 'external'}: {message}", err=True)
    if strict and refused:
        click.echo(f"{len(refused)} check(s) have no native translation; nothing written", err=True)
        sys.exit(EXIT_USAGE)
    if out_file:
        Path(out_file).write_text(text, encoding="utf-8")
        click.echo(f"wrote {out_file}: {len(checks)} native checks, {len(refused)} external", err=True)
    else:
        click.echo(text, nl=False)
    sys.exit(EXIT_OK)


def _json(r: object) -> str:
    import json

    return json.dumps({"type": r.expectation_type, "kwargs": r.kwargs})  # type: ignore[attr-defined]
