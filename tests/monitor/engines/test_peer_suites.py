"""A GX-authored and a Soda-authored suite land in fact_data_quality beside native checks.

On PostgreSQL the expectations / SodaCL checks without a native translation run through GX 1.x and Soda
Core 3 themselves; on DuckDB they are translated or end in `error` naming why (never dropped).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from checks.suite import load_suite
from monitor.runner import run_suite
from monitor.store import store_run
from tests.conftest import make_table
from warehouse.migrate import migrate

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ROWS = [
    (7, "1", "ann@example.com", "TX", 12.5),
    (7, "2", "bob@bad", "OK", -3.0),
    (7, "2", None, "ZZ", 40.0),
    (7, "4", "dan@example.org", "TX", 8.0),
    (8, "5", "eve@example.com", "TX", 1.0),  # another batch: never judged
]
GX_SUITE = {
    "name": "customers",
    "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "email"}, "severity": "critical"},
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "state", "value_set": ["TX", "OK"]}},
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "kwh", "min_value": 0, "mostly": 0.7}},
        # no native translation: GX runs it on PostgreSQL, an error naming it on DuckDB
        {"type": "expect_column_most_common_value_to_be_in_set", "kwargs": {"column": "state", "value_set": ["TX"]}},
    ],
}
SODACL = """
checks for customers:
  - row_count between 1 and 10
  - missing_count(email) = 0
  - duplicate_count(customer_id) = 0
  - invalid_count(state) = 0:
      valid values: [TX, OK]
  - max(kwh) <= 100
  - schema:
      fail:
        when required column missing: [customer_id, nope]
"""


def _write(tmp_path: Path, engine_key: str = "native") -> tuple[Path, Path]:
    (tmp_path / "gx.json").write_text(json.dumps(GX_SUITE))
    (tmp_path / "soda.yml").write_text(SODACL)
    gx_suite = tmp_path / "gx_suite.yml"
    gx_suite.write_text(
        "dataset: customers\nstage: raw\nowner: billing-data\nseverity: warning\ndimension: validity\n"
        "gx_suite: gx.json\nchecks:\n  - {id: native.rows, type: row_count, min: 1}\n"
    )
    soda_suite = tmp_path / "soda_suite.yml"
    soda_suite.write_text(
        f"dataset: customers\nstage: cleansed\nowner: billing-data\nsodacl: {{file: soda.yml, engine: {engine_key}}}\n"
        "checks:\n  - {id: native.email_valid, type: pattern, column: email, pattern: email}\n"
    )
    return gx_suite, soda_suite


def _facts(engine: Engine, run_id: int) -> dict[str, tuple[str, int | None, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT check_id, status, rows_failed, dimension_name, batch_id FROM fact_data_quality "
                "WHERE run_id = :r"
            ),
            {"r": run_id},
        ).all()
    assert {r[4] for r in rows} == {7}
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def test_gx_and_soda_suites_land_beside_native_checks(warehouse: Engine, tmp_path: Path) -> None:
    migrate(warehouse)
    cols = {"batch_id": "int", "customer_id": "text", "email": "text", "state": "text", "kwh": "float"}
    make_table(warehouse, "customers", cols, ROWS)
    gx_path, soda_path = _write(tmp_path)
    pg = warehouse.dialect.name == "postgresql"

    gx_suite = load_suite(gx_path)
    gx_facts = _facts(warehouse, store_run(warehouse, gx_suite, run_suite(warehouse, gx_suite, batch_id=7, now=NOW)))
    assert gx_facts["native.rows"][0] == "pass"
    assert gx_facts["gx.01.not_be_null.email"] == ("fail", 1, "validity")
    assert gx_facts["gx.02.be_in_set.state"] == ("fail", 1, "validity")
    assert gx_facts["gx.03.be_between.kwh"] == ("pass", 1, "validity")  # 3 of 4 >= 0.7
    external = gx_facts["gx.04.most_common_value_to_be_in_set.state"]
    assert external[0] == ("pass" if pg else "error"), external

    soda_suite = load_suite(soda_path)
    run = run_suite(warehouse, soda_suite, batch_id=7, now=NOW)
    soda_facts = _facts(warehouse, store_run(warehouse, soda_suite, run))
    assert soda_facts["native.email_valid"][0] == "fail"
    assert soda_facts["soda.01.row_count"][0] == "pass"
    assert soda_facts["soda.02.missing_count.email"][:2] == ("fail", 1)
    assert soda_facts["soda.03.duplicate_count.customer_id"][:2] == ("fail", 1)  # one duplicated key
    assert soda_facts["soda.04.invalid_count.state"][:2] == ("fail", 1)
    assert soda_facts["soda.05.max.kwh"][0] == "pass"
    by_id = {r.check_id: r for r in run.results}
    schema = by_id["soda.06.schema"]
    if pg:  # Soda Core itself ran the schema check
        assert schema.status.value == "fail" and schema.message.startswith("Soda schema")
    else:
        assert schema.status.value == "error" and "soda-core-duckdb" in schema.message


@pytest.mark.postgres
def test_engine_soda_runs_every_check_through_soda_core(pg_engine: Engine, tmp_path: Path) -> None:
    """`engine: soda`: Soda Core judges everything; results agree with the native translation."""
    migrate(pg_engine)
    cols = {"batch_id": "int", "customer_id": "text", "email": "text", "state": "text", "kwh": "float"}
    make_table(pg_engine, "customers", cols, ROWS)
    _, soda_path = _write(tmp_path, "soda")
    suite = load_suite(soda_path)
    assert {c.type for c in suite.checks} == {"external", "pattern"}
    run = run_suite(pg_engine, suite, batch_id=7, now=NOW)
    facts = _facts(pg_engine, store_run(pg_engine, suite, run))
    assert facts["soda.02.missing_count.email"][:2] == ("fail", 1)
    assert facts["soda.03.duplicate_count.customer_id"][0] == "fail"
    assert facts["soda.04.invalid_count.state"][:2] == ("fail", 1)
    assert facts["soda.01.row_count"][0] == "pass" and facts["soda.05.max.kwh"][0] == "pass"


def test_soda_telemetry_is_off() -> None:
    from monitor.engines.soda_engine import telemetry_off

    telemetry_off()
    from soda.telemetry.soda_telemetry import SodaTelemetry

    assert SodaTelemetry.get_instance()._SodaTelemetry__send is False  # type: ignore[attr-defined]
