"""Golden SQL per dialect for every check type: tests/checks/golden/<dialect>/<case>.sql.

Regenerate after an intended change with `UTILITYFLOW_UPDATE_GOLDEN=1 pytest tests/checks/test_golden.py`
and review the diff. T-SQL output must parse with sqlglot's tsql dialect (Synapse cannot run here).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlglot

from checks import registry
from checks.compile import compile_samples, compile_suite
from checks.suite import parse_suite

GOLDEN = Path(__file__).parent / "golden"
DIALECTS = ("duckdb", "postgres", "tsql")
UPDATE = bool(os.environ.get("UTILITYFLOW_UPDATE_GOLDEN"))
TYPES = {
    "batch_id": "BIGINT",
    "source_row_number": "BIGINT",
    "amount_num": "DOUBLE",
    "ts": "TIMESTAMP",
    **{
        c: "VARCHAR"
        for c in (
            "partner_id",
            "email",
            "phone",
            "state",
            "zip",
            "amount",
            "birth_date",
            "changed_on",
            "record_type",
            "amount_cents",
            "total_cents",
            "service_point_id",
            "channel",
            "value",
            "read_date",
            "reading",
            "dials",
            "mult",
            "unit",
        )
    },
}
IV = "timestamp: ts, value: value"
CASES = {
    "row_count": "{id: c, type: row_count, min: 1, max: 1000}",
    "not_null": "{id: c, type: not_null, column: birth_date, null_values: ['00000000']}",
    "unique": "{id: c, type: unique, column: partner_id}",
    "unique_compound": "{id: c, type: unique, columns: [partner_id, email]}",
    "accepted_values": "{id: c, type: accepted_values, column: state, values: [TX, OK, 'it''s:odd']}",
    "range": "{id: c, type: range, column: amount, min: 0, max: 100, strict_min: true}",
    "range_dates": "{id: c, type: range, column: birth_date, min: 1900-01-01, max: now}",
    "range_mean": "{id: c, type: range, column: amount_num, of: mean, min: 10, max: 20}",
    "pattern_email": "{id: c, type: pattern, column: email, pattern: email}",
    "pattern_phone": "{id: c, type: pattern, column: phone, pattern: phone_e164}",
    "pattern_regex": "{id: c, type: pattern, column: partner_id, regex: '^[0-9]{10}$'}",
    "length": "{id: c, type: length, column: zip, min: 5, max: 10}",
    "freshness": "{id: c, type: freshness, column: changed_on, max_age: 26h}",
    "references": "{id: c, type: references, column: partner_id, to: stg_cis_customer}",
    "reconciliation_trailer": (
        "{id: c, type: reconciliation, left: {agg: sum, column: amount_cents, where: "
        "{record_type: '6'}}, right: {agg: sum, column: total_cents, where: {record_type: '9'}}}"
    ),
    "reconciliation_datasets": (
        "{id: c, type: reconciliation, left: {agg: count}, right: {agg: count, dataset: other}}"
    ),
    "schema": "{id: c, type: schema, expected: {partner_id: text}}",
    "custom_sql": (
        "{id: c, type: custom_sql, sql: \"SELECT partner_id FROM t WHERE batch_id = :batch_id AND x = 'a'\"}"
    ),
    "interval_count": f"{{id: c, type: interval_count, {IV}, timezone: America/Chicago}}",
    "duplicate_interval": f"{{id: c, type: duplicate_interval, {IV}}}",
    "spike": f"{{id: c, type: spike, {IV}}}",
    "zero_run": f"{{id: c, type: zero_run, {IV}}}",
    "flat_line": f"{{id: c, type: flat_line, {IV}}}",
    "negative": "{id: c, type: negative, value: value, channel: channel, allowed_channels: ['2']}",
    "rollover": (
        "{id: c, type: rollover, keys: [service_point_id], timestamp: read_date, value: reading, dials: dials}"
    ),
    "sum_check": f"{{id: c, type: sum_check, {IV}}}",
    "multiplier_unit": "{id: c, type: multiplier_unit, date: read_date, multiplier: mult, unit: unit}",
    "rollover_history": (
        "{id: c, type: rollover, keys: [service_point_id], timestamp: read_date, value: reading, dials: dials, "
        "history: stg_x, fail_on: rollovers}"
    ),
    "unit_level": f"{{id: c, type: unit_level, {IV}, unit: unit, max_average: {{KWH: 50, CCF: 3}}}}",
    "inactive_meter": (
        "{id: c, type: inactive_meter, keys: [service_point_id, channel], timestamp: ts, meters: meters_t}"
    ),
    "lookup_compare": "{id: c, type: lookup, column: partner_id, to: stg_cis_customer, compare: email, ignore: either}",
    "lookup_via_filtered": (
        "{id: c, type: lookup, column: partner_id, filter: {state: TX}, via: acct, via_columns: [partner_id], "
        "via_links: [customer_no], to: cust, to_columns: [customer_no], to_filter: {status: C}, expect: no_match}"
    ),
    "lookup_dates": (
        "{id: c, type: lookup, column: partner_id, to: acct, compare: ts, op: '<=', to_compare: close_date, "
        "as_type: date, ignore: either}"
    ),
    "group_total": (
        "{id: c, type: group_total, group_by: [partner_id], total_filter: {record_type: '7'}, "
        "total_column: total_cents, count_column: amount, detail_filter: {record_type: '6'}, "
        "detail_column: amount_cents}"
    ),
    "is_null": "{id: c, type: is_null, column: email, blank_is_null: false}",
    "forbidden_values": "{id: c, type: forbidden_values, column: state, values: [XX, 'N/A']}",
    "matches": "{id: c, type: matches, column: zip, regexes: ['^[0-9]{5}$', '^[0-9]{9}$'], match_on: any}",
    "column_compare": "{id: c, type: column_compare, column: amount_num, op: '>=', other: amount}",
    "row_sum": "{id: c, type: row_sum, columns: [amount_num, amount], total: 100}",
    "range_stdev": "{id: c, type: range, column: amount_num, of: stdev, max: 20}",
    "range_distinct": "{id: c, type: range, column: state, of: distinct_proportion, min: 0.5}",
    "external": "{id: c, type: external, engine: gx, definition: '{\"type\": \"expect_x\"}'}",
    "where_filter": (
        "{id: c, type: accepted_values, column: state, values: [TX], where: {all: [{column: amount_num, op: '>', "
        "value: 0}, {column: email, is_null: false}]}}"
    ),
}


def test_every_check_type_has_a_golden_case() -> None:
    covered = {parse_suite(_suite(c)).checks[0].type for c in CASES.values()}
    assert covered == {n for n in registry.names() if not n.startswith("test_")}  # test extensions aside


def _suite(check: str) -> str:
    return f"dataset: stg_x\nstage: raw\nchecks:\n  - {check}\n"


def render_case(case: str, dialect: str) -> str:
    suite = parse_suite(_suite(CASES[case]), f"{case}.yml")
    plan = compile_suite(suite, dialect, column_types=TYPES)
    assert not plan.errors, plan.errors
    statements = [s.sql for s in plan.statements]
    samples = compile_samples(plan, [c.id for c in suite.checks])
    if samples:
        statements.append(samples.sql)
    if not statements:
        return "-- no SQL: this check reads the catalogue only\n"
    return ";\n\n".join(statements) + ";\n"


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case: str, dialect: str) -> None:
    sql = render_case(case, dialect)
    path = GOLDEN / dialect / f"{case}.sql"
    if UPDATE or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(sql)
        if not UPDATE:
            pytest.fail(f"{path} was missing and has been written; review and commit it")
    assert sql == path.read_text(), f"{path} differs; regenerate with UTILITYFLOW_UPDATE_GOLDEN=1 and review"
    if dialect == "tsql" and not sql.startswith("--"):
        for statement in sql.rstrip(";\n").split(";\n\n"):
            sqlglot.parse_one(statement, read="tsql")
