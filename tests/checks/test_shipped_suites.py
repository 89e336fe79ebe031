"""Every shipped suite parses, compiles for all three dialects, and names only real staging columns."""

from __future__ import annotations

from pathlib import Path

import pytest

from checks.compile import compile_suite
from checks.suite import load_suite
from warehouse.schema.staging import FEEDS

SUITES = sorted((Path(__file__).parents[2] / "checks" / "suites").glob("*.yml"))
STAGING = {f.staging_table: ("batch_id", "source_row_number", *f.columns) for f in FEEDS.values()}


def test_there_are_shipped_suites() -> None:
    assert len(SUITES) >= 10


@pytest.mark.parametrize("path", SUITES, ids=lambda p: p.name)
def test_suite_is_valid_for_its_staging_table(path: Path) -> None:
    suite = load_suite(path)
    columns = STAGING[suite.dataset]
    used = {c for spec in suite.checks for c in spec.check.columns()} | set(suite.keys)
    assert used <= set(columns), sorted(used - set(columns))
    types = dict.fromkeys(columns, "VARCHAR") | {"batch_id": "BIGINT", "source_row_number": "BIGINT"}
    for dialect in ("duckdb", "postgres", "tsql"):
        plan = compile_suite(suite, dialect, column_types=types)
        assert not plan.errors, (dialect, plan.errors)
