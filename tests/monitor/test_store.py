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


def test_one_invocation_is_one_run_across_batches_and_suites(warehouse: Engine) -> None:
    from monitor.store import store_runs

    migrate(warehouse)
    make_table(
        warehouse,
        "people",
        {"batch_id": "int", "person_id": "text", "email": "text"},
        [(3, "1", "ann@example.com"), (4, "2", "bob@bad"), (4, "3", "carol@example.org")],
    )
    cleansed = parse_suite(SUITE % "", "people.yml")
    raw = parse_suite((SUITE % "").replace("stage: cleansed", "stage: raw"), "people_raw.yml")
    items = [(s, run_suite(warehouse, s, batch_id=b, now=NOW)) for s in (raw, cleansed) for b in (3, 4)]
    run_id = store_runs(warehouse, items)
    with warehouse.connect() as conn:
        runs = conn.execute(sa.text("SELECT run_id, checks_run FROM dq_run")).all()
        grains = conn.execute(
            sa.text(
                "SELECT check_id, stage, batch_id, COUNT(*) FROM fact_data_quality GROUP BY check_id, stage, batch_id"
            )
        ).all()
    assert [tuple(r) for r in runs] == [(run_id, 12)]
    assert len(grains) == 12 and all(g[3] == 1 for g in grains)  # each grain written exactly once


def test_facts_carry_source_business_date_and_dataset(warehouse: Engine) -> None:
    """A batch's facts are dated by its business date (dim_batch.extract_from) and carry its source;
    dim_dataset holds owner, Slack channel and source, updated in place when the suite changes."""
    migrate(warehouse)
    make_table(warehouse, "stg_crm_case", {"batch_id": "int", "source_row_number": "int", "case_id": "text"},
               [(7, 1, "K1"), (7, 2, "K1")])
    with warehouse.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO dim_batch (batch_id, source, feed, file_name, file_sha256, extract_from, status, "
                "rows_read, rows_loaded, rows_quarantined, rows_merged, started_at) VALUES "
                "(7, 'crm', 'crm_case', 'crm/crm_case_20261102.jsonl', 'x', :d, 'loaded', 2, 2, 0, 0, :d)"
            ),
            {"d": datetime(2026, 11, 2)},
        )
    text = "dataset: stg_crm_case\nstage: raw\nowner: %s\nslack_channel: '#dq-crm'\nchecks:\n" \
           "  - {id: crm.case.id_unique, type: unique, column: case_id}\n"
    for owner in ("customer-care", "care-ops"):
        suite = parse_suite(text % owner, "case.yml")
        store_run(warehouse, suite, run_suite(warehouse, suite, batch_id=7, now=NOW))
    with warehouse.connect() as conn:
        facts = conn.execute(
            sa.text("SELECT f.source, f.date_key, d.owner, d.slack_channel, d.source, d.stage FROM fact_data_quality f "
                    "JOIN dim_dataset d ON d.dataset_key = f.dataset_key")
        ).all()
        datasets = conn.execute(sa.text("SELECT COUNT(*) FROM dim_dataset")).scalar()
    assert [tuple(f) for f in facts] == [("crm", 20261102, "care-ops", "#dq-crm", "crm", "raw")] * 2
    assert datasets == 1
