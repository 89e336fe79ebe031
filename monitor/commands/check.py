"""`utilityflow check`: run check suites on batches, store the results, print them, exit 0/1/3."""

from __future__ import annotations

import sys

import click

from checks.results import Outcome
from checks.suite import load_suite
from monitor.cli import warehouse_option
from monitor.errors import EXIT_CHECKS_FAILED, EXIT_COULD_NOT_RUN, EXIT_OK, ConfigError
from monitor.runtime import load_settings, warehouse_engine


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
    from monitor.scoring import has_mart, score, shipped_suites

    suites = [load_suite(f) for f in suite_files] if suite_files else shipped_suites()
    suites = [s for s in suites if (dataset is None or s.dataset == dataset) and (stage is None or s.stage == stage)]
    if not suites:
        raise ConfigError("no suite matches; pass --suite FILE or check --dataset/--stage")
    engine = warehouse_engine(load_settings(warehouse_url, config_file))
    if store and not has_mart(engine):
        click.echo("note: the DQ mart does not exist (run `utilityflow init`); results are not stored", err=True)
    elif store:  # a process that writes the warehouse first undoes what a killed load left half-loaded
        from loaders.live import discard_interrupted

        for batch_id in discard_interrupted(engine):
            click.echo(f"note: batch {batch_id} was left half-loaded by a killed load; its rows were removed and "
                       "the file loads again on the next `utilityflow load`", err=True)
    # A suite the user named is measured now; the default sweep scores only what is new.
    named = bool(suite_files) or dataset is not None
    outcome = score(engine, suites, batch=batch, store=store, whole_tables="always" if named else "when_new_data")
    runs, run_ids = outcome.runs, [outcome.run_id] * len(outcome.runs)
    if not runs and fmt == "table":  # json/junit stay machine-readable (an empty document)
        click.echo("nothing to check: every batch of the selected suites is already scored "
                   "(pass --batch ID to check one again)", err=True)
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
