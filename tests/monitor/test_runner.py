"""Suites executed end to end on DuckDB and PostgreSQL: every check type's counts, statement counts,
batch scoping, error isolation, read-only custom SQL, bounded masked samples."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from checks.errors import SuiteError
from checks.results import Outcome
from checks.suite import parse_suite
from monitor.runner import DatasetNotFound, run_suite
from tests.conftest import make_table

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
CUSTOMER_COLUMNS = {
    "batch_id": "int",
    "source_row_number": "int",
    "partner_id": "text",
    "email": "text",
    "phone": "text",
    "mail_state": "text",
    "mail_zip": "text",
    "amount": "text",
    "birth_date": "text",
    "changed_on": "text",
}
CUSTOMERS = [
    (
        1,
        1,
        "0000000001",
        "ann@example.com",
        "+15551234567",
        "TX",
        "75001",
        "10.5",
        "1980-01-01",
        "2026-11-24 10:00:00",
    ),
    (1, 2, "0000000002", "bad-email", "555-1234", "TX", "7500", "-3", "1890-01-01", "2026-11-24 11:00:00"),
    (1, 3, "0000000002", "", "", "ZZ", "75001-1234", "abc", "2090-01-01", "2026-11-24 12:00:00"),
    (1, 4, "0000000004", "bob@mail.co", "+441234567890", "OK", "75002", "100", "", "2026-11-25 09:00:00"),
    (1, 5, None, "x@y.z", None, None, None, None, None, None),
    (
        2,
        1,
        "0000000009",
        "zed@example.com",
        "+15550000000",
        "TX",
        "75001",
        "1",
        "1970-01-01",
        "2026-11-25 09:00:00",
    ),
]
SUITE = """
dataset: customers
stage: raw
pii: {email: email, phone: phone}
checks:
  - {id: rows, type: row_count, min: 1, severity: critical}
  - {id: email_present, type: not_null, column: email, dimension: completeness}
  - {id: email_valid, type: pattern, column: email, pattern: email}
  - {id: phone_valid, type: pattern, column: phone, pattern: phone_e164}
  - {id: state_valid, type: accepted_values, column: mail_state, values: [TX, OK]}
  - {id: amount_range, type: range, column: amount, min: 0, max: 50}
  - {id: amount_negative, type: negative, value: amount, channel: null}
  - {id: zip_len, type: length, column: mail_zip, min: 5, max: 5}
  - {id: dob_range, type: range, column: birth_date, min: 1900-01-01, max: now}
  - {id: fresh, type: freshness, column: changed_on, max_age: 2d}
  - {id: state_tx_count, type: reconciliation, left: {agg: count, where: {mail_state: TX}}, expected: 2}
  - {id: amount_mean, type: range, column: amount, of: mean, min: 0, max: 100}
  - {id: schema_ok, type: schema, expected: {partner_id: text, batch_id: int}}
  - {id: schema_bad, type: schema, expected: {partner_id: int, missing_col: text}}
"""
JOIN_SUITE = """
dataset: customers
stage: raw
checks:
  - {id: partner_unique, type: unique, column: partner_id, severity: critical}
  - {id: partner_known, type: references, column: partner_id, to: partners}
  - id: zz_rows
    type: custom_sql
    sql: "SELECT partner_id FROM customers WHERE batch_id = :batch_id AND mail_state = 'ZZ'"
  - {id: vs_partners, type: reconciliation, left: {agg: count}, right: {agg: count, dataset: partners}}
"""


@pytest.fixture
def customers(engine: sa.Engine) -> sa.Engine:
    make_table(engine, "customers", CUSTOMER_COLUMNS, CUSTOMERS)
    make_table(engine, "partners", {"partner_id": "text"}, [("0000000001",), ("0000000002",)])
    return engine


def by_id(run):  # type: ignore[no-untyped-def]
    return {r.check_id: r for r in run.results}


EXPECTED = {  # check id -> (status, rows_evaluated, rows_failed)
    "rows": (Outcome.PASS, None, None),
    "email_present": (Outcome.FAIL, 5, 1),
    "email_valid": (Outcome.FAIL, 4, 2),
    "phone_valid": (Outcome.FAIL, 3, 1),
    "state_valid": (Outcome.FAIL, 4, 1),
    "amount_range": (Outcome.FAIL, 4, 3),
    "amount_negative": (Outcome.FAIL, 4, 1),
    "zip_len": (Outcome.FAIL, 4, 2),
    "dob_range": (Outcome.FAIL, 3, 2),
    "fresh": (Outcome.PASS, None, None),
    "state_tx_count": (Outcome.PASS, None, None),
    "amount_mean": (Outcome.PASS, None, None),
    "schema_ok": (Outcome.PASS, None, None),
    "schema_bad": (Outcome.FAIL, None, None),
}


def test_column_and_aggregate_checks_count_right(customers: sa.Engine) -> None:
    run = run_suite(customers, parse_suite(SUITE, "customers.yml"), batch_id=1, now=NOW)
    got = {r.check_id: (r.status, r.rows_evaluated, r.rows_failed) for r in run.results}
    assert got == EXPECTED, [r.message for r in run.results if r.status is Outcome.ERROR]
    assert by_id(run)["rows"].observed == 5  # batch 2 is not scanned


def test_aggregate_checks_take_at_most_two_statements_samples_included(customers: sa.Engine) -> None:
    run = run_suite(customers, parse_suite(SUITE, "customers.yml"), batch_id=1, now=NOW)
    # one scan + one bounded sample query for the checks that failed
    assert run.statements == 2
    assert by_id(run)["email_valid"].samples  # samples were taken
    assert run.metadata_queries == 1


def test_each_join_family_adds_one_statement(customers: sa.Engine) -> None:
    suite = parse_suite(JOIN_SUITE, "customers.yml")
    run = run_suite(customers, suite, batch_id=1, now=NOW)
    r = by_id(run)
    assert r["partner_unique"].metrics["duplicate_rows"] == 2
    assert r["partner_unique"].metrics["duplicate_keys"] == 1
    assert r["partner_unique"].metrics["excess_rows"] == 1
    assert (r["partner_unique"].rows_evaluated, r["partner_unique"].rows_failed) == (4, 2)
    assert (r["partner_known"].rows_evaluated, r["partner_known"].rows_failed) == (4, 1)
    assert (r["zz_rows"].status, r["zz_rows"].rows_failed) == (Outcome.FAIL, 1)
    assert r["vs_partners"].status is Outcome.FAIL and r["vs_partners"].metrics["right"] == 2
    families = [s.family for s in run.log]
    # the aggregate scan (the left count) + one per family; off DuckDB one bounded sample query more
    # (DuckDB takes family samples inside the family statement)
    for family in ("aggregate", "duplicates", "references", "custom_sql", "reconciliation"):
        assert families.count(family) == 1, families
    assert run.statements == 5 + (0 if run.dialect == "duckdb" else 1)
    assert run.scores.capped  # a critical check failed


def test_whole_table_when_no_batch_given(customers: sa.Engine) -> None:
    run = run_suite(customers, parse_suite(SUITE, "customers.yml"), now=NOW)
    assert run.batch_id is None and by_id(run)["rows"].observed == 6


def test_samples_are_bounded_and_masked(customers: sa.Engine) -> None:
    text = SUITE.replace(
        "{id: email_valid, type: pattern, column: email, pattern: email}",
        "{id: email_valid, type: pattern, column: email, pattern: email, sample_limit: 1}",
    )
    run = run_suite(customers, parse_suite(text, "customers.yml"), batch_id=1, now=NOW)
    r = by_id(run)
    assert len(r["email_valid"].samples) == 1
    phone = r["phone_valid"].samples
    assert [(s.key, s.value) for s in phone] == [("2", "***-**34")]
    assert all("@" not in (s.value or "") or "***" in (s.value or "") for s in r["email_valid"].samples)
    assert {s.value for s in r["state_valid"].samples} == {"ZZ"}  # not PII: shown as is


def test_a_broken_check_does_not_stop_the_others(customers: sa.Engine) -> None:
    broken = (
        SUITE
        + """  - {id: bad_cast, type: range, column: batch_id, as_type: date, min: 1900-01-01}
  - {id: bad_sql, type: custom_sql, sql: "SELECT * FROM no_such_table"}
"""
    )
    run = run_suite(customers, parse_suite(broken, "customers.yml"), batch_id=1, now=NOW)
    r = by_id(run)
    assert r["bad_cast"].status is Outcome.ERROR and "query failed" in r["bad_cast"].message
    assert r["bad_sql"].status is Outcome.ERROR
    got = {cid: (x.status, x.rows_evaluated, x.rows_failed) for cid, x in r.items() if cid in EXPECTED}
    assert got == EXPECTED
    assert run.scores.counts["error"] == 2
    assert r["bad_cast"].score is None  # errors are beside the score, not in it


def test_unknown_columns_are_reported_before_anything_runs(customers: sa.Engine) -> None:
    text = SUITE.replace("column: email, pattern: email}", "column: emial, pattern: email}")
    with pytest.raises(SuiteError) as e:
        run_suite(customers, parse_suite(text, "customers.yml"), batch_id=1)
    p = e.value.problems[0]
    assert "unknown column 'emial'" in p.message and "did you mean 'email'" in p.message
    assert (p.file, p.line) == ("customers.yml", 8)


def test_unknown_dataset(customers: sa.Engine) -> None:
    with pytest.raises(DatasetNotFound, match="did you mean 'customers'"):
        run_suite(customers, parse_suite(SUITE.replace("dataset: customers", "dataset: customer"), "x.yml"))


def test_custom_sql_cannot_write(customers: sa.Engine) -> None:
    # The parser refuses writes; the transaction is rolled back as a second line of defence.
    from checks.types.custom_sql import CustomSql

    assert CustomSql("SELECT 1; DROP TABLE customers").problems()
    suite = parse_suite(JOIN_SUITE, "customers.yml")
    run_suite(customers, suite, batch_id=1, now=NOW)
    with customers.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM customers")).scalar() == 6


def test_result_json_shape(customers: sa.Engine) -> None:
    d = run_suite(customers, parse_suite(SUITE, "customers.yml"), batch_id=1, now=NOW).to_dict()
    assert {"results", "scores", "statements"} <= set(d)
    need = {
        "check_id",
        "dataset",
        "stage",
        "batch_id",
        "type",
        "dimension",
        "severity",
        "status",
        "rows_evaluated",
        "rows_failed",
        "observed",
        "message",
    }
    assert all(need <= set(r) for r in d["results"])


def test_split_scan_gives_the_same_results(customers: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    import monitor.runner as runner
    from warehouse.dialects import dialect_of_engine

    def tiny(name: str):  # type: ignore[no-untyped-def]
        return dataclasses.replace(dialect_of_engine(name), max_statement_chars=2000)

    monkeypatch.setattr(runner, "dialect_of_engine", tiny)
    run = run_suite(customers, parse_suite(SUITE, "customers.yml"), batch_id=1, now=NOW)
    got = {r.check_id: (r.status, r.rows_evaluated, r.rows_failed) for r in run.results}
    assert got == EXPECTED
    assert [s.family for s in run.log].count("aggregate") > 1


def test_duckdb_samples_inside_the_one_scan_on_request(duck: sa.Engine) -> None:
    make_table(duck, "customers", CUSTOMER_COLUMNS, CUSTOMERS)
    run = run_suite(duck, parse_suite(SUITE, "customers.yml"), batch_id=1, now=NOW, inline_samples=True)
    assert run.statements == 1
    got = {r.check_id: (r.status, r.rows_evaluated, r.rows_failed) for r in run.results}
    assert got == EXPECTED
    assert [(s.key, s.value) for s in by_id(run)["phone_valid"].samples] == [("2", "***-**34")]
    assert {s.value for s in by_id(run)["state_valid"].samples} == {"ZZ"}


DUP_SUITE = """
dataset: dups
stage: raw
checks:
  - {id: pair_unique, type: unique, columns: [id, code], sample_limit: 5}
  - {id: code_unique, type: unique, column: code}
"""


def test_duplicates_group_text_by_bytes_and_numbers_as_numbers(engine: sa.Engine) -> None:
    # 'a' vs 'A' and 'b ' vs 'b' are different keys on every engine (on PostgreSQL the text key is grouped
    # under the "C" collation, the integer key as it is)
    make_table(engine, "dups", {"id": "int", "code": "text"},
               [(1, "a"), (1, "a"), (2, "A"), (2, "a"), (3, "b "), (3, "b"), (4, "a")])
    r = by_id(run_suite(engine, parse_suite(DUP_SUITE, "dups.yml"), now=NOW))
    pair, code = r["pair_unique"].metrics, r["code_unique"].metrics
    assert (pair["duplicate_rows"], pair["duplicate_keys"], pair["excess_rows"]) == (2, 1, 1)
    assert (code["duplicate_rows"], code["duplicate_keys"], code["excess_rows"]) == (4, 1, 3)
    assert [s.value for s in r["pair_unique"].samples] == ["2"]
    assert {s.key for s in r["code_unique"].samples} == {"a"}


@pytest.mark.postgres
def test_statement_settings_hold_for_that_statement_only(pg: sa.Engine) -> None:
    from checks.compile import PARALLEL_GROUPING, Statement
    from monitor.runner import _Executor

    probe = "SELECT current_setting('parallel_tuple_cost') AS v"
    with pg.connect() as conn:
        ex = _Executor(conn, {}, "postgresql")
        tuned, _ = ex.run(Statement("duplicates", probe, settings=PARALLEL_GROUPING))
        plain, _ = ex.run(Statement("aggregate", probe))
    assert tuned == [{"v": "0"}] and plain == [{"v": "0.1"}]
