"""`utilityflow import gx|soda`: the written suite loads and runs; refusals are named; --strict exits 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from checks.suite import load_suite
from monitor.cli import cli

GX = {
    "name": "customers",
    "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "email", "mostly": 0.95}},
        {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "zip", "regex": "^[0-9]{5}$"}},
        {"type": "expect_column_bootstrapped_ks_test_p_value_to_be_greater_than", "kwargs": {"column": "kwh"}},
    ],
}


def test_import_gx_writes_a_suite_that_loads(tmp_path: Path) -> None:
    src, out = tmp_path / "gx.json", tmp_path / "customers.raw.yml"
    src.write_text(json.dumps(GX))
    r = CliRunner().invoke(cli, ["import", "gx", str(src), "--dataset", "stg_customer", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "external: expectation #3 expect_column_bootstrapped_ks_test_p_value_to_be_greater_than" in r.output
    suite = load_suite(out)
    assert suite.dataset == "stg_customer" and suite.stage == "raw"
    assert [c.type for c in suite.checks] == ["not_null", "pattern", "external"]
    assert suite.checks[0].threshold.pass_rate_fail == 0.95


def test_import_strict_refuses_and_writes_nothing(tmp_path: Path) -> None:
    src, out = tmp_path / "gx.json", tmp_path / "o.yml"
    src.write_text(json.dumps(GX))
    r = CliRunner().invoke(cli, ["import", "gx", str(src), "--dataset", "t", "--out", str(out), "--strict"])
    assert r.exit_code == 2 and not out.exists()
    assert "refused: expectation #3" in r.output


def test_import_soda_to_stdout_and_bad_file(tmp_path: Path) -> None:
    src = tmp_path / "c.yml"
    src.write_text("checks for t:\n  - row_count > 0\n  - missing_count(a) = 0\n")
    r = CliRunner().invoke(cli, ["import", "soda", str(src), "--dataset", "t"])
    assert r.exit_code == 0 and "type: row_count" in r.output and "type: not_null" in r.output
    src.write_text("checks for other:\n  - row_count > 0\n")
    done = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "import", "soda", str(src), "--dataset", "t"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2, done.stderr  # one line naming the file and the missing section
    assert "no 'checks for t' section (found: other)" in done.stderr and "Traceback" not in done.stderr
