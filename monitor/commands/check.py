"""`utilityflow check`: run check suites on batches, store the results, print them, exit 0/1/3."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from checks.results import Outcome
from checks.spec import Suite
from checks.suite import load_suite, load_suites
from monitor.cli import warehouse_option
from monitor.errors import EXIT_CHECKS_FAILED, EXIT_COULD_NOT_RUN, EXIT_OK, ConfigError
from monitor.runtime import load_settings, warehouse_engine

SUITES_DIR = Path(__file__).resolve().parents[2] / "checks" / "suites"


@click.command("check", help="Run check suites on one batch (or every unscored batch) and report.")
@click.option(
    "--suite",
    "suite_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Suite file (repeatable). Default: every suite in checks/suites/.",
)
@click.option("--dataset", default=None, help="Only suites of this dataset (table or view).")
@click.option("--stage", type=click.Choice(["raw", "cleansed", "star"]), default=None, help="Only this stage.")
@click.option("--batch", "batch", default=None, help="Batch id. Default: every batch not scored yet.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "junit"]), default="table")
@click.option(
    "--fail-on",
    type=click.Choice(["warn", "fail"]),
    default="fail",
    help="Exit 1 when a check warns (warn) or only when one fails (fail, the default).",
)
@click.option("--store/--no-store", default=True, help="Write results to the DQ mart (when it exists).")
@warehouse_option
def command(
    suite_files: tuple[str, ...],
    dataset: str | None,
    stage: str | None,
    batch: str | None,
    fmt: str,
    fail_on: str,
    store: bool,
    warehouse_url: str | None,
    config_file: str | None,
) -> None:
    from monitor.check_output import as_json, as_junit, as_table
    from monitor.runner import run_suite
    from monitor.store import store_runs

    suites = [load_suite(f) for f in suite_files] if suite_files else _default_suites()
    suites = [s for s in suites if (dataset is None or s.dataset == dataset) and (stage is None or s.stage == stage)]
    if not suites:
        raise ConfigError("no suite matches; pass --suite FILE or check --dataset/--stage")
    engine = warehouse_engine(load_settings(warehouse_url, config_file))
    has_mart = _has_table(engine, "fact_data_quality")
    if store and not has_mart:
        click.echo("note: the DQ mart does not exist (run `utilityflow init`); results are not stored", err=True)
    scored = [
        (suite, run_suite(engine, suite, batch_id=b))
        for suite in suites
        for b in _batches(engine, suite, batch, has_mart)
    ]
    runs = [run for _, run in scored]
    if not runs and fmt == "table":  # json/junit stay machine-readable (an empty document)
        click.echo("nothing to check: every batch of the selected suites is already scored "
                   "(pass --batch ID to check one again)", err=True)
    run_id = store_runs(engine, scored) if store and has_mart and scored else None
    run_ids = [run_id] * len(runs)
    out = {
        "json": lambda: as_json(runs, run_ids),
        "junit": lambda: as_junit(runs, fail_on),
        "table": lambda: as_table(runs),
    }[fmt]()
    click.echo(out)
    statuses = {r.status for run in runs for r in run.results}
    failing = {Outcome.FAIL} | ({Outcome.WARN} if fail_on == "warn" else set())
    code = EXIT_COULD_NOT_RUN if Outcome.ERROR in statuses else (EXIT_CHECKS_FAILED if statuses & failing else EXIT_OK)
    sys.exit(code)


def _default_suites() -> list[Suite]:
    if not SUITES_DIR.is_dir() or not any(SUITES_DIR.glob("*.yml")):
        raise ConfigError(f"no suites in {SUITES_DIR}; pass --suite FILE")
    return load_suites(SUITES_DIR)


def _has_table(engine: Engine, name: str) -> bool:
    from monitor.runner import table_exists

    with engine.connect() as conn:
        return table_exists(conn, name, None)


def _batches(engine: Engine, suite: Suite, batch: str | None, has_mart: bool) -> list[Any]:
    """The batch given, or every batch of the dataset without a result for this suite's stage yet;
    [None] (the whole table) when the dataset has no batch column."""
    if batch is not None:
        return [int(batch) if batch.isdigit() else batch]
    table = sa.table(suite.dataset, sa.column(suite.batch_column), schema=suite.schema)
    with engine.connect() as conn:
        try:
            present = [b for (b,) in conn.execute(sa.select(table.c[suite.batch_column]).distinct())]
        except sa.exc.DBAPIError:
            return [None]  # no batch column: check the whole table
        if not has_mart:
            return sorted(present)
        fact = sa.table("fact_data_quality", sa.column("batch_id"), sa.column("dataset_name"), sa.column("stage"))
        scored = {
            b
            for (b,) in conn.execute(
                sa.select(fact.c.batch_id)
                .distinct()
                .where(fact.c.dataset_name == suite.dataset, fact.c.stage == suite.stage)
            )
        }
    return sorted(b for b in present if b not in scored)
