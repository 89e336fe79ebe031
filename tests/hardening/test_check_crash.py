"""Crash safety of a check run: `utilityflow check` killed with SIGKILL at seeded random moments leaves the DQ
mart exactly as before the run or exactly as after it (never a half-written run), and running the check
again completes it.

Each child imports everything first and waits for a go byte on stdin, so the kill lands in the run itself,
not in Python's start-up; the next child starts importing while the current trial runs.
"""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from warehouse.engine import create_engine

from .conftest import cli

TRIALS = 20
SUITE = """\
dataset: stg_cis_customer
stage: raw
keys: [source_row_number]
pii: {full_name: name, email: email, phone: phone}
checks:
  - {id: crash.rows, type: row_count, min: 1}
  - {id: crash.partner_present, type: not_null, column: partner_id}
  - {id: crash.partner_unique, type: unique, column: partner_id}
  - {id: crash.email_valid, type: pattern, column: email, pattern: email, pass_rate: {warn: 1.0, fail: 1.0}}
  - {id: crash.phone_digits, type: length, column: phone, min: 10, max: 16}
  - {id: crash.zip_valid, type: pattern, column: mail_zip, pattern: zip}
"""
RERUNS = 3  # trials whose killed run is re-run to completion (each re-run costs a full check)
MART = ("dq_run", "dim_check", "fact_data_quality", "fact_dq_metric", "fact_dq_error_event")
CHILD = """
import sys
from monitor.cli import main
import monitor.commands.check, monitor.runner, monitor.store, monitor.check_output  # noqa: F401
print("ready", flush=True)
sys.stdin.read(1)
main(sys.argv[1:])
"""


def _argv(db: Path) -> list[str]:
    suite = db.parent / "crash.raw.yml"
    if not suite.exists():
        suite.write_text(SUITE, encoding="utf-8")
    return ["check", "--warehouse", f"duckdb:///{db}", "--format", "json", "--suite", str(suite)]


def _mart(db: Path) -> dict[str, object]:
    """Row counts of the mart tables, and what the results say (without run timestamps)."""
    engine = create_engine(f"duckdb:///{db}", read_only=True)
    with engine.connect() as conn:
        out: dict[str, object] = {t: conn.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in MART}
        out["results"] = sorted(tuple(r) for r in conn.execute(sa.text(
            "SELECT check_id, batch_id, status, rows_failed FROM fact_data_quality")))
        out["runs_complete"] = [tuple(r) for r in conn.execute(sa.text(
            "SELECT r.checks_run, (SELECT COUNT(*) FROM fact_data_quality f WHERE f.run_id = r.run_id) "
            "FROM dq_run r"))]
    engine.dispose()
    return out


class _Child:
    def __init__(self, db: Path, cwd: Path) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", CHILD, *_argv(db)], cwd=cwd, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def go(self) -> float:
        assert self.proc.stdout.readline().strip() == b"ready"
        self.proc.stdin.write(b"g")
        self.proc.stdin.flush()
        return time.perf_counter()


@pytest.mark.slow
def test_sigkill_during_a_check_run_never_leaves_half_a_run(loaded_template: Path, tmp_path: Path) -> None:
    cwd = Path(__file__).resolve().parents[2]
    before_db = tmp_path / "before.duckdb"
    shutil.copy(loaded_template, before_db)
    before = _mart(before_db)
    # An uninterrupted run: the "after" state and how long a run takes.
    after_db = tmp_path / "after.duckdb"
    shutil.copy(loaded_template, after_db)
    ref = _Child(after_db, cwd)
    t0 = ref.go()
    ref.proc.communicate()
    duration = time.perf_counter() - t0
    assert ref.proc.returncode in (0, 1)
    after = _mart(after_db)
    assert after["dq_run"] == 1 and after["fact_data_quality"] > 0 and after != before

    rng = random.Random(20261125)
    outcomes = []
    dbs = [tmp_path / f"t{i}.duckdb" for i in range(TRIALS)]
    shutil.copy(loaded_template, dbs[0])
    nxt = _Child(dbs[0], cwd)
    for trial, db in enumerate(dbs):
        child = nxt
        started = child.go()
        if trial + 1 < TRIALS:  # warm the next child up while this one runs
            shutil.copy(loaded_template, dbs[trial + 1])
            nxt = _Child(dbs[trial + 1], cwd)
        # kills spread over the whole run, weighted to its end where the results are written
        time.sleep(max(0.0, started + rng.uniform(0.1, 1.1) * duration - time.perf_counter()))
        exited = child.proc.poll() is not None
        child.proc.send_signal(signal.SIGKILL)
        child.proc.communicate()
        state = _mart(db)
        assert state in (before, after), f"trial {trial}: half-written run {state}"
        outcomes.append("exited" if exited else "before" if state == before else "after")
        if state == before and outcomes.count("before") <= RERUNS:  # re-running completes it
            rerun = cli(*_argv(db))
            assert rerun.code in (0, 1), rerun.text
            assert _mart(db) == after, f"trial {trial}: re-run did not complete"
        db.unlink()
    print(f"check crash trials: {outcomes.count('before')} killed before the commit, {outcomes.count('after')} "
          f"after it, {outcomes.count('exited')} had finished; run takes {duration:.2f} s")
    assert len(outcomes) == TRIALS
