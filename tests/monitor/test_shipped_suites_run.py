"""Shipped suites executed against the migrated staging tables: no check errors (DuckDB and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from checks.results import Outcome
from checks.suite import load_suite
from monitor.runner import run_suite
from warehouse.migrate import migrate

SUITES = sorted((Path(__file__).parents[2] / "checks" / "suites").glob("*.yml"))


def test_every_shipped_suite_runs_on_the_real_staging_ddl(warehouse: Engine) -> None:
    migrate(warehouse)
    for path in SUITES:
        run = run_suite(warehouse, load_suite(path), batch_id=1)
        errors = {r.check_id: r.message for r in run.results if r.status is Outcome.ERROR}
        assert not errors, (path.name, errors)
