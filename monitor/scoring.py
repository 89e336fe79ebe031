"""Score batches: pick the suites and batches to run, run them, store them as ONE DQ run.

Shared by `utilityflow check`, the scheduler's check step and the demo, so "which batches are still
unscored" and "one invocation = one run" mean the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

import checks
from checks.spec import Suite
from checks.suite import load_suites
from monitor.runner import RunResult, run_suite, table_exists

SHIPPED_SUITES = Path(checks.__file__).resolve().parent / "suites"


@dataclass
class ScoreOutcome:
    """Every suite x batch run of one invocation, and the DQ run they were stored as (None: not stored)."""

    runs: list[RunResult] = field(default_factory=list)
    run_id: int | None = None


def shipped_suites() -> list[Suite]:
    """The registry's own suites (checks/suites/*.yml)."""
    return load_suites(SHIPPED_SUITES)


def has_mart(engine: Engine) -> bool:
    return has_table(engine, "fact_data_quality")


def has_table(engine: Engine, name: str) -> bool:
    with engine.connect() as conn:
        return table_exists(conn, name, None)


def score(
    engine: Engine,
    suites: Iterable[Suite],
    *,
    batch: Any = None,
    only_batches: set[int] | None = None,
    whole_tables: str = "when_new_data",
    store: bool = True,
    trigger: str = "cli",
    on_run: Callable[[Suite, Any], None] | None = None,
) -> ScoreOutcome:
    """Run each suite on `batch`, or on every batch of its dataset not scored yet for its stage (limited
    to `only_batches` when given); store all results as one run when the mart exists and `store`.

    A dataset without a batch column is checked whole: `whole_tables="always"` measures it now (a suite
    the user named), `"when_new_data"` only when it was never scored or a batch loaded since it last was —
    so scoring the same deliveries twice changes nothing."""
    from monitor.store import store_runs

    mart = has_mart(engine)
    scored: list[tuple[Suite, RunResult]] = []
    for suite in suites:
        pending = pending_batches(engine, suite, batch=batch, only=only_batches, has_mart=mart)
        if pending == [None] and whole_tables != "always" and mart and not _new_data_since_scored(engine, suite):
            pending = []
        for b in pending:
            if on_run:
                on_run(suite, b)
            scored.append((suite, run_suite(engine, suite, batch_id=b)))
    outcome = ScoreOutcome(runs=[run for _, run in scored])
    if store and mart and scored:
        outcome.run_id = store_runs(engine, scored, trigger=trigger)
    return outcome


def pending_batches(
    engine: Engine, suite: Suite, *, batch: Any = None, only: set[int] | None = None, has_mart: bool = True
) -> list[Any]:
    """The batch given, or every batch of the suite's dataset without a result for its stage yet;
    [None] (the whole table) when the dataset has no batch column."""
    if batch is not None:
        return [int(batch) if str(batch).isdigit() else batch]
    table = sa.table(suite.dataset, sa.column(suite.batch_column), schema=suite.schema)
    query = sa.select(table.c[suite.batch_column]).distinct()
    if only is not None:
        if not only:
            return []
        query = query.where(table.c[suite.batch_column].in_(sorted(only)))
    with engine.connect() as conn:
        try:
            present = [b for (b,) in conn.execute(query) if b is not None]
        except sa.exc.DBAPIError:
            return [] if only is not None else [None]  # no batch column: the whole table
        if table_exists(conn, "dim_batch", None):  # a batch still loading (or a killed load's rows): not data yet
            from loaders.star import RUNNING

            running = set(conn.execute(sa.text(RUNNING)).scalars())
            present = [b for b in present if b not in running]
        if not has_mart:
            return sorted(present)
        fact = sa.table("fact_data_quality", sa.column("batch_id"), sa.column("dataset_name"), sa.column("stage"))
        done = {
            b
            for (b,) in conn.execute(
                sa.select(fact.c.batch_id).distinct().where(
                    fact.c.dataset_name == suite.dataset, fact.c.stage == suite.stage
                )
            )
        }
    return sorted(b for b in present if b not in done)


def _new_data_since_scored(engine: Engine, suite: Suite) -> bool:
    """Never scored, or a delivery was loaded after the last measurement of this dataset and stage."""
    with engine.connect() as conn:
        last = conn.execute(
            sa.text("SELECT MAX(measured_at) FROM fact_data_quality WHERE dataset_name = :d AND stage = :s"),
            {"d": suite.dataset, "s": suite.stage},
        ).scalar()
        if last is None:
            return True
        loaded = conn.execute(sa.text("SELECT MAX(finished_at) FROM dim_batch WHERE status = 'loaded'")).scalar()
    return loaded is not None and loaded > last
