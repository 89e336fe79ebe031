"""Compilation: deduplicated metrics, one scan split only at the length limit, per-check compile errors."""

from __future__ import annotations

import pytest
import sqlglot

from checks.compile import compile_suite
from checks.errors import SuiteError
from checks.suite import parse_suite

TYPES = {"batch_id": "BIGINT", "source_row_number": "BIGINT", "email": "VARCHAR", "code": "VARCHAR"}
SUITE = """
dataset: stg_x
stage: raw
checks:
  - {id: a, type: not_null, column: email}
  - {id: b, type: not_null, column: email, severity: critical}
  - {id: c, type: pattern, column: email, pattern: email}
  - {id: d, type: pattern, column: code, regex: '^(A|B)+$'}
  - {id: e, type: pattern, column: code, regex: '^[A-Z]{3}$'}
  - {id: f, type: row_count}
"""


def test_identical_metrics_are_measured_once() -> None:
    plan = compile_suite(parse_suite(SUITE), "duckdb", column_types=TYPES, samples=False)
    assert plan.check_metrics["a"] == plan.check_metrics["b"]
    assert plan.check_metrics["a"]["rows"] == plan.check_metrics["f"]["rows"]  # COUNT(*) shared
    (stmt,) = plan.statements
    assert stmt.sql.count("COUNT(*) AS") == 1 and len(stmt.outputs) == len(plan.metrics)


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "tsql"])
def test_split_only_at_the_length_limit(dialect: str) -> None:
    suite = parse_suite(SUITE)
    whole = compile_suite(suite, dialect, column_types=TYPES)
    split = compile_suite(suite, dialect, column_types=TYPES, max_statement_chars=400)
    agg = [s for s in split.statements if s.family == "aggregate"]
    assert len([s for s in whole.statements if s.family == "aggregate"]) == 1
    assert len(agg) > 1
    assert sorted(m for s in agg for _, m in s.outputs) == sorted(
        m for s in whole.statements if s.family == "aggregate" for _, m in s.outputs
    )
    for s in agg:
        sqlglot.parse_one(s.sql, read=dialect)


def test_untranslatable_regex_is_refused_on_tsql_only() -> None:
    suite = parse_suite(SUITE)
    tsql = compile_suite(suite, "tsql", column_types=TYPES)
    assert set(tsql.errors) == {"d"}
    assert "cannot be expressed in T-SQL" in tsql.errors["d"] and "^(A|B)+$" in tsql.errors["d"]
    assert "LIKE '%[^A-Z]%'" in tsql.statements[0].sql  # the translatable one compiled
    assert not compile_suite(suite, "postgres", column_types=TYPES).errors


def test_identifiers_are_validated_before_sql_exists() -> None:
    with pytest.raises(SuiteError, match="not a plain column name"):
        parse_suite("dataset: t\nstage: raw\nchecks:\n  - {id: a, type: not_null, column: 'x\" OR 1=1 --'}\n")
    with pytest.raises(SuiteError, match="not a plain table name"):
        parse_suite("dataset: 't; drop table x'\nstage: raw\nchecks: []\n")


def test_literals_are_quoted_not_spliced() -> None:
    suite = parse_suite(
        "dataset: t\nstage: raw\nchecks:\n  - {id: a, type: accepted_values, column: x, "
        'values: ["it\'s", "\'); DROP TABLE t; --"]}\n'
    )
    (stmt,) = compile_suite(suite, "postgres", samples=False).statements
    assert "'it''s'" in stmt.sql and "''); DROP TABLE t; --'" in stmt.sql
    assert len(sqlglot.parse(stmt.sql, read="postgres")) == 1


def test_metric_hash_survives_a_new_optional_field() -> None:
    import dataclasses

    from checks.metrics import definition_hash

    old = dataclasses.make_dataclass("NoMatch", [("column", str), ("pattern", str)], frozen=True)
    new = dataclasses.make_dataclass(
        "NoMatch",
        [("column", str), ("pattern", str), ("null_values", tuple, dataclasses.field(default=()))],
        frozen=True,
    )
    assert definition_hash(old("email", "email")) == definition_hash(new("email", "email"))
    assert definition_hash(old("email", "email")) != definition_hash(new("email", "email", ("x",)))
