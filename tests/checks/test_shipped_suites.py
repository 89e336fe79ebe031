"""Every shipped suite parses, compiles for all three dialects, and names only real columns of its table;
every source feed has a suite at the raw and cleansed stage, and every star table one at the star stage."""

from __future__ import annotations

from pathlib import Path

import pytest

from checks.compile import compile_suite
from checks.suite import load_suite
from warehouse.dialects import get_dialect
from warehouse.schema import all_tables
from warehouse.schema.staging import FEEDS
from warehouse.schema.star import TABLES as STAR

SUITES = sorted((Path(__file__).parents[2] / "checks" / "suites").glob("*.yml"))
TABLES = all_tables()


def _types(table: str) -> dict[str, str]:
    d = get_dialect("duckdb")
    return {c.name: d.column_type(c.type, c.length, c.precision, c.scale) for c in TABLES[table].columns}


def test_every_dataset_of_every_stage_has_a_suite() -> None:
    have = {(s.dataset, s.stage) for s in map(load_suite, SUITES)}
    want = {(f"stg_{f}", "raw") for f in FEEDS} | {(f"cln_{f}", "cleansed") for f in FEEDS}
    want |= {(t.name, "star") for t in STAR}
    assert want <= have, sorted(want - have)


def test_owners_and_channels_are_per_source() -> None:
    for path in SUITES:
        suite = load_suite(path)
        assert suite.owner and suite.slack_channel and suite.slack_channel.startswith("#dq-"), path.name


@pytest.mark.parametrize("path", SUITES, ids=lambda p: p.name)
def test_suite_is_valid_for_its_table(path: Path) -> None:
    suite = load_suite(path)
    types = _types(suite.dataset)
    used = {c for spec in suite.checks for c in spec.check.columns()} | set(suite.keys)
    assert used <= set(types), sorted(used - set(types))
    for dialect in ("duckdb", "postgres", "tsql"):
        plan = compile_suite(suite, dialect, column_types=types, batch="batch_id" in types)
        assert not plan.errors, (dialect, plan.errors)


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "tsql"])
def test_statement_budget_per_dataset_and_batch(dialect: str) -> None:
    """Issue 5's budget on every shipped suite: one scan for all column and aggregate checks (the sample
    query, issued only when a row check failed, is the second), and at most one statement per join or
    window family (duplicates, references, lookup, VEE, reconciliation, custom SQL)."""
    for path in SUITES:
        suite = load_suite(path)
        plan = compile_suite(suite, dialect, column_types=_types(suite.dataset))
        families = [s.family for s in plan.statements]
        assert families.count("aggregate") <= 1, (path.name, families)
        others = [f for f in families if f != "aggregate"]
        assert len(others) == len(set(others)), (path.name, families)
