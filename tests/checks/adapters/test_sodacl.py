"""SodaCL -> native checks with Soda's semantics; the rest refused by name and kept as external checks."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from checks.adapters import sodacl
from checks.suite import load_suite, parse_suite

SODACL = """
checks for customers:
  - row_count between 1 and 1000
  - missing_count(email) = 0
  - missing_percent(phone) < 5%
  - invalid_count(email) = 0:
      valid format: email
  - invalid_count(state) <= 3:
      valid values: [TX, OK]
  - invalid_count(zip) = 0:
      valid regex: ^[0-9]{5}$
  - invalid_count(kwh) = 0:
      valid min: 0
      valid max: 5000
  - invalid_count(zip) = 0:
      valid length: 5
  - duplicate_count(customer_id) = 0
  - freshness(created_at) < 1d
  - min(kwh) >= 0
  - avg(kwh) between 100 and 2000
  - max(kwh) < 9000
  - values in (account_id) must exist in accounts (id)
  - missing_count(name):
      warn: when > 10
      fail: when > 100
  - schema:
      fail:
        when required column missing: [id]
  - anomaly detection for row_count
"""


def test_common_checks_translate_with_soda_semantics(tmp_path: Path) -> None:
    (tmp_path / "c.yml").write_text(SODACL)
    t = sodacl.translate(sodacl.load_sodacl(tmp_path / "c.yml"), "customers")
    by = {c["id"]: c for c in t.checks}
    assert len(t.checks) == 15
    assert [r.check_id for r in t.refused] == ["soda.16.schema", "soda.17.anomaly"]
    assert by["soda.01.row_count"] == {"id": "soda.01.row_count", "type": "row_count", "min": 1, "max": 1000}
    assert by["soda.02.missing_count.email"]["blank_is_null"] is False  # Soda: '' is a value
    assert by["soda.02.missing_count.email"]["max_failed"] == {"fail": 0}
    rate = by["soda.03.missing_percent.phone"]["pass_rate"]["fail"]
    assert 0.95 < rate < 0.95 + 1e-9  # fails at exactly 5%, as Soda's '< 5%'
    assert by["soda.04.invalid_count.email"]["regex"] == sodacl.SODA_FORMATS["email"]
    assert by["soda.05.invalid_count.state"]["max_failed"] == {"fail": 3}
    assert by["soda.09.duplicate_count.customer_id"]["failed_rows"] == "duplicate_keys"
    assert by["soda.10.freshness.created_at"]["max_age"] == "1d"
    assert by["soda.13.max.kwh"]["strict_max"] is True
    assert by["soda.14.reference.account_id"]["type"] == "references" and by["soda.14.reference.account_id"][
        "to_columns"
    ] == ["id"]
    assert by["soda.15.missing_count.name"]["max_failed"] == {"warn": 10, "fail": 100}
    parse_suite(yaml.safe_dump({"dataset": "customers", "stage": "raw", "checks": t.checks}))


@pytest.mark.parametrize(
    ("check", "reason"),
    [
        ("invalid_percent(x) < 1%", "'invalid_percent' checks are not translated"),
        ("missing_count(x) > 5", "not translated for a count"),
        ("row_count > 1.5", "whole numbers"),
        ({"invalid_count(x) = 0": {"valid format": "money"}}, "valid format 'money'"),
    ],
)
def test_refusals_name_the_check(check: object, reason: str) -> None:
    t = sodacl.translate({"t": [check]}, "t")
    assert not t.checks and reason in t.refused[0].message()


def test_sodacl_suite_form_on_duckdb_runs_natively(tmp_path: Path, duck: object) -> None:
    from monitor.runner import run_suite
    from tests.conftest import make_table

    make_table(duck, "customers", {"customer_id": "text", "email": "text"}, [("1", "a@b.com"), ("1", None)])
    (tmp_path / "c.yml").write_text(
        "checks for customers:\n  - duplicate_count(customer_id) = 0\n  - missing_count(email) = 0\n"
        "  - schema:\n      fail:\n        when required column missing: [id]\n"
    )
    (tmp_path / "s.yml").write_text("dataset: customers\nstage: raw\nsodacl: c.yml\n")
    run = run_suite(duck, load_suite(tmp_path / "s.yml"))
    got = {r.check_id: (r.status.value, r.rows_failed) for r in run.results}
    assert got["soda.01.duplicate_count.customer_id"] == ("fail", 1)  # one duplicated key
    assert got["soda.02.missing_count.email"] == ("fail", 1)
    assert got["soda.03.schema"][0] == "error"  # Soda is not run on DuckDB: said, not dropped
    assert "soda-core-duckdb" in next(r.message for r in run.results if r.check_id == "soda.03.schema")
