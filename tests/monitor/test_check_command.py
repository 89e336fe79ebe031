"""`utilityflow check` end to end on a DuckDB file: JSON shape, exit codes, unscored batches, JUnit."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

from click.testing import CliRunner

from monitor.cli import cli
from tests.conftest import make_table
from warehouse.engine import create_engine
from warehouse.migrate import migrate

SUITE = """
dataset: stg_people
stage: raw
owner: crm-data
checks:
  - {id: email_valid, type: pattern, column: email, pattern: email}
  - {id: rows, type: row_count, min: 1}
"""


def _warehouse(tmp_path: Path) -> tuple[str, Path]:
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    engine = create_engine(url)
    migrate(engine)
    make_table(
        engine,
        "stg_people",
        {"batch_id": "int", "source_row_number": "int", "email": "text"},
        [(1, 1, "ann@example.com"), (1, 2, "bad"), (2, 1, "bob@example.com")],
    )
    engine.dispose()
    suite = tmp_path / "people.raw.yml"
    suite.write_text(SUITE)
    return url, suite


def test_check_scores_unscored_batches_then_nothing(tmp_path: Path) -> None:
    url, suite = _warehouse(tmp_path)
    args = ["check", "--suite", str(suite), "--warehouse", url, "--format", "json"]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 1, first.output  # batch 1 has an invalid email
    doc = json.loads(first.output)
    assert {r["batch_id"] for r in doc["results"]} == {1, 2}
    assert doc["statements"] == 3  # one scan per batch + one sample query for the batch that failed
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
    assert all(need <= set(r) for r in doc["results"])
    assert all(run["run_id"] for run in doc["runs"])  # stored in the mart
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 0 and json.loads(again.output)["results"] == []  # every batch is scored


def test_check_one_batch_junit_and_fail_on(tmp_path: Path) -> None:
    url, suite = _warehouse(tmp_path)
    ok = CliRunner().invoke(
        cli, ["check", "--suite", str(suite), "--warehouse", url, "--batch", "2", "--format", "junit", "--no-store"]
    )
    assert ok.exit_code == 0, ok.output
    root = ET.fromstring(ok.output)
    assert root.find("testsuite").get("failures") == "0"  # type: ignore[union-attr]
    table = CliRunner().invoke(cli, ["check", "--suite", str(suite), "--warehouse", url, "--batch", "1", "--no-store"])
    assert table.exit_code == 1 and "email_valid" in table.output and "fail" in table.output


def test_a_check_that_cannot_run_exits_3(tmp_path: Path) -> None:
    url, suite = _warehouse(tmp_path)
    suite.write_text(SUITE + '  - {id: bad, type: custom_sql, sql: "SELECT * FROM missing_table"}\n')
    res = CliRunner().invoke(cli, ["check", "--suite", str(suite), "--warehouse", url, "--batch", "2", "--no-store"])
    assert res.exit_code == 3, res.output
