"""Persistence to the DQ mart (after `utilityflow init`), on DuckDB and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from checks.suite import parse_suite
from monitor.runner import run_suite
from monitor.store import store_run
from tests.conftest import make_table
from warehouse.migrate import migrate

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SUITE = """
dataset: people
stage: cleansed
owner: crm-data
checks:
  - {id: email_valid, type: pattern, column: email, pattern: email%s}
  - {id: id_unique, type: unique, column: person_id, severity: critical}
  - {id: rows, type: row_count, min: 1}
"""


def test_run_lands_in_the_mart_and_dim_check_is_scd2(warehouse: Engine) -> None:
    migrate(warehouse)
    make_table(
        warehouse,
        "people",
        {"batch_id": "int", "person_id": "text", "email": "text"},
        [(3, "1", "ann@example.com"), (3, "2", "bob@bad"), (3, "2", "carol@example.org")],
    )
    suite = parse_suite(SUITE % "", "people.yml")
    run_id = store_run(warehouse, suite, run_suite(warehouse, suite, batch_id=3, now=NOW))
    with warehouse.connect() as conn:
        facts = conn.execute(
            sa.text(
                "SELECT check_id, status, rows_evaluated, rows_failed, batch_id, score FROM fact_data_quality "
                "WHERE run_id = :r ORDER BY check_id"
            ),
            {"r": run_id},
        ).all()
        assert [(f[0], f[1], f[2], f[3], f[4]) for f in facts] == [
            ("email_valid", "fail", 3, 1, 3),
            ("id_unique", "fail", 3, 2, 3),
            ("rows", "pass", None, None, 3),
        ]
        samples = conn.execute(
            sa.text(
                "SELECT check_id, row_key, offending_value FROM fact_dq_error_event WHERE run_id = :r "
                "ORDER BY check_id, sample_no"
            ),
            {"r": run_id},
        ).all()
        # keyed by the unique check's column (no source_row_number here); the email is masked
        assert ("email_valid", "2", "b***@b***") in [tuple(s) for s in samples]
        assert (
            conn.execute(sa.text("SELECT COUNT(*) FROM fact_dq_metric WHERE run_id = :r"), {"r": run_id}).scalar() >= 5
        )
        assert conn.execute(sa.text("SELECT statements FROM dq_run WHERE run_id = :r"), {"r": run_id}).scalar() >= 2

    # Same definitions: same dim_check rows. A changed threshold: a new version, the old one closed.
    store_run(warehouse, suite, run_suite(warehouse, suite, batch_id=3, now=NOW))
    changed = parse_suite(SUITE % ", pass_rate: {warn: 0.9, fail: 0.5}", "people.yml")
    store_run(warehouse, changed, run_suite(warehouse, changed, batch_id=3, now=NOW))
    with warehouse.connect() as conn:
        versions = conn.execute(
            sa.text(
                "SELECT version, is_current, effective_to IS NULL FROM dim_check WHERE check_id = 'email_valid' "
                "ORDER BY version"
            )
        ).all()
        assert [tuple(v) for v in versions] == [(1, False, False), (2, True, True)]
        assert conn.execute(sa.text("SELECT COUNT(*) FROM dim_check WHERE check_id = 'id_unique'")).scalar() == 1
