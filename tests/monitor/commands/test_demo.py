"""`utilityflow demo` end to end on a small world: every stage runs, and a re-run changes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from warehouse.engine import create_engine

ROOT = Path(__file__).parents[3]


def _demo(tmp_path: Path, url: str, columns: str | None = "160") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("UTILITYFLOW_") and k != "COLUMNS"}
    if columns:
        env["COLUMNS"] = columns
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", "demo", "--customers", "40", "--days", "2", "--warehouse", url],
        capture_output=True, text=True, cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)},
        timeout=600,
    )


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        names = sa.inspect(conn).get_table_names()
        counts = {n: conn.execute(sa.text(f"SELECT COUNT(*) FROM {n}")).scalar_one() for n in names}
    engine.dispose()
    return counts


def test_demo_runs_every_stage_and_a_rerun_changes_nothing(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'demo.duckdb'}"
    first = _demo(tmp_path, url, columns=None)  # as in a CI log or a pipe: no terminal, no COLUMNS
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    table = first.stdout[first.stdout.index("Batches by source"):first.stdout.index("Golden customers")]
    assert "…" not in table, table  # no row count or header cut short
    for text in ("1. generate", "2. init", "3. replay", "Batches by source", "Golden customers",
                 "before (raw) and after (cleansed)", "4. report", "5. console", "utilityflow dashboard"):
        assert text in first.stdout, text
    counts = _counts(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        sources = set(conn.execute(sa.text("SELECT DISTINCT source FROM dim_batch")).scalars())
        stages = set(conn.execute(sa.text("SELECT DISTINCT stage FROM fact_data_quality")).scalars())
        conserved = conn.execute(sa.text("SELECT MIN(rows_conserved) FROM v_dq_batch_audit")).scalar_one()
    engine.dispose()
    assert sources == {"cis", "mdm", "crm", "payments", "workorders", "gis"}
    assert "raw" in stages and conserved == 1
    assert counts["fact_data_quality"] > 0 and counts["dq_run"] >= 2 and counts["customer_xref"] > 40
    assert list((tmp_path / "demo").glob("dq-report-*.html"))

    again = _demo(tmp_path, url)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert _counts(url) == counts
