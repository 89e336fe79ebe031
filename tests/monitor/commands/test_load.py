"""`utilityflow load`: loads a folder or files, prints a summary or JSON, one clear line on bad input."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[3]
_spec = importlib.util.spec_from_file_location("loaders_fixtures", ROOT / "tests" / "loaders" / "conftest.py")
fixtures = importlib.util.module_from_spec(_spec)  # the hand-made six-source delivery
_spec.loader.exec_module(fixtures)  # type: ignore[union-attr]


def run(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "UTILITYFLOW_WAREHOUSE_URL": f"duckdb:///{tmp / 'w.duckdb'}"}
    return subprocess.run([sys.executable, "-m", "monitor.cli", *args], cwd=tmp, capture_output=True, text=True,
                          timeout=300, env=env)


def test_load_from_a_folder_then_again_as_json(tmp_path: Path) -> None:
    out = fixtures.write_delivery(tmp_path / "out")
    assert run(tmp_path, "init").returncode == 0
    first = run(tmp_path, "load", "--from", str(out))
    assert first.returncode == 0, first.stderr
    for text in ("Batches by source", "Quarantined by reason", "malformed_json", "golden customers: 5"):
        assert text in first.stdout
    again = run(tmp_path, "load", "--from", str(out), "--format", "json")
    assert again.returncode == 0, again.stderr
    doc = json.loads(again.stdout)
    assert doc["skipped"] == 19 and doc["loaded"] == 0 and doc["golden_customers"] == 5


def test_a_refused_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "cis" / "cis_customer_20260105.dat"
    bad.parent.mkdir(parents=True)
    bad.write_text("partner_id,full_name\n1,X\n", encoding="utf-8")
    assert run(tmp_path, "init").returncode == 0
    result = run(tmp_path, "load", "--source", "cis", str(bad))
    assert result.returncode == 2
    assert "cis_customer_20260105.dat, line 1: header missing required column(s)" in result.stdout
    assert result.stderr.startswith("error [files_refused]") and "Traceback" not in result.stderr + result.stdout


def test_usage_errors(tmp_path: Path) -> None:
    assert run(tmp_path, "load").returncode == 2
    assert run(tmp_path, "init").returncode == 0
    wrong = run(tmp_path, "load", "--source", "crm", str(tmp_path / "missing.jsonl"))
    assert wrong.returncode == 2 and "missing.jsonl" in wrong.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    none = run(tmp_path, "load", "--from", str(empty))
    assert none.returncode == 2 and "no delivery files found" in none.stderr


def test_load_before_init_says_what_to_do(tmp_path: Path) -> None:
    out = fixtures.write_delivery(tmp_path / "out")
    result = run(tmp_path, "load", "--from", str(out))
    assert result.returncode == 2 and "run `utilityflow init` first" in result.stderr
