"""Suite parsing: every problem at once, each with file, line and a suggestion."""

from __future__ import annotations

from pathlib import Path

import pytest

from checks.errors import SuiteError
from checks.spec import Threshold
from checks.suite import load_suite, parse_suite

BAD = """\
dataset: stg_cis_customer
stage: rwa
chekcs: []
checks:
  - id: a
    type: not_nul
    column: email
  - id: b
    type: not_null
    colum: email
    severity: critcal
  - id: c
    type: pattern
    column: email
    pattern: emial
  - id: c
    type: unique
    columns: [partner_id]
    pass_rate: {warn: 0.9, fail: 0.95}
  - id: e
    type: custom_sql
    sql: "DELETE FROM t"
  - id: f
    type: range
    column: "bad column"
    min: 0
"""


def test_every_problem_is_reported_with_line_and_suggestion(tmp_path: Path) -> None:
    f = tmp_path / "bad.yml"
    f.write_text(BAD)
    with pytest.raises(SuiteError) as e:
        load_suite(f)
    got = {(p.line, p.code) for p in e.value.problems}
    assert got >= {
        (2, "unknown_stage"),
        (3, "unknown_key"),
        (6, "unknown_check_type"),
        (10, "unknown_argument"),
        (11, "unknown_severity"),
        (8, "missing_argument"),
        (12, "invalid_check"),
        (19, "bad_threshold"),
        (20, "invalid_check"),
        (23, "bad_identifier"),
    }
    text = str(e.value)
    assert f"{f}:6: unknown check type 'not_nul'; did you mean 'not_null'?" in text
    assert "unknown argument 'colum' for type 'not_null'; did you mean 'column'?" in text
    assert "unknown severity 'critcal'; did you mean 'critical'?" in text
    assert "unknown pattern 'emial'; did you mean 'email'?" in text
    assert "unknown stage 'rwa'; did you mean 'raw'?" in text
    assert "custom_sql must be a SELECT, found DELETE" in text
    assert e.value.code == "invalid_suite" and e.value.exit_code == 2


def test_duplicate_check_id_and_yaml_syntax() -> None:
    with pytest.raises(SuiteError, match="already used on line 4"):
        parse_suite("dataset: t\nstage: raw\nchecks:\n  - {id: a, type: row_count}\n  - {id: a, type: row_count}\n")
    with pytest.raises(SuiteError) as e:
        parse_suite("dataset: t\nstage: raw\nchecks: [\n", "x.yml")
    assert e.value.problems[0].code == "yaml_syntax" and e.value.problems[0].line


def test_a_good_suite() -> None:
    suite = parse_suite(
        """
dataset: stg_cis_customer
stage: raw
owner: billing-data
keys: [partner_id]
pii: {email: email}
checks:
  - id: email_valid
    type: pattern
    column: email
    pattern: email
    pass_rate: {warn: 0.98, fail: 0.95}
  - {id: u, type: unique, columns: [partner_id, email], severity: critical, max_failed: 3}
  - {id: r, type: range, column: amount, min: 0, max: 10, dimension: accuracy}
""",
        "s.yml",
    )
    a, u, r = suite.checks
    assert (a.type, a.dimension, a.severity, a.line) == ("pattern", "validity", "warning", 8)
    assert a.threshold == Threshold(pass_rate_warn=0.98, pass_rate_fail=0.95)
    assert u.check.keys == ("partner_id", "email") and u.threshold.max_failed_fail == 3
    assert r.dimension == "accuracy" and suite.pii == (("email", "email"),)


def test_definition_hash_changes_with_the_threshold_only_when_it_changes() -> None:
    base = "dataset: t\nstage: raw\nchecks:\n  - {id: a, type: not_null, column: x%s}\n"
    h1 = parse_suite(base % "").checks[0].definition_hash
    assert h1 == parse_suite(base % "").checks[0].definition_hash
    assert h1 != parse_suite(base % ", pass_rate: 0.9").checks[0].definition_hash
