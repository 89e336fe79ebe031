"""Job steps for the scheduler tests: a small real CSV loader into dim_batch and a row-count check.

They stand in for the loaders and the check runner (which plug into the same `JobSteps` slots), and do
real work: parse the file, write the audit row, score the batch in the mart.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from monitor.scheduler import Delivery, TerminalJobError
from monitor.settings import Settings

HEADER = ["account_id", "usage_kwh"]


def write_delivery(folder: Path, name: str, rows: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        for i in range(rows):
            w.writerow([f"A{i:05d}", f"{i * 1.5:.1f}"])
    return path


def load_csv(engine: Engine, delivery: Delivery, settings: Settings) -> int:
    """Parse the CSV; a wrong header is a terminal error (a bad file)."""
    with delivery.path.open(newline="") as f:
        reader = csv.reader(f)
        header = next(reader, [])
        if header != HEADER:
            raise TerminalJobError(f"{delivery.path.name}: line 1: expected header {HEADER}, got {header}")
        rows = sum(1 for _ in reader)
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO dim_batch (source, feed, file_name, file_sha256, file_size_bytes, rows_read, rows_loaded, "
            "rows_quarantined, rows_merged, started_at, finished_at, status) VALUES (:s, 'usage', :f, :h, :sz, "
            ":n, :n, 0, 0, :now, :now, 'loaded')"),
            {"s": delivery.source, "f": delivery.path.name, "h": delivery.sha256, "sz": delivery.size, "n": rows,
             "now": now})
        return int(conn.execute(sa.text("SELECT MAX(batch_id) FROM dim_batch WHERE file_sha256 = :h"),
                                {"h": delivery.sha256}).scalar_one())


def check_row_counts(engine: Engine, batch_ids: list[int], settings: Settings) -> int:
    """One run: a row-count check per batch (fail when the file was empty) and its metric."""
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO dq_run (started_at, finished_at, trigger, status) "
                             "VALUES (:n, :n, 'schedule', 'done')"), {"n": now})
        run_id = int(conn.execute(sa.text("SELECT MAX(run_id) FROM dq_run")).scalar_one())
        key = conn.execute(sa.text("SELECT check_key FROM dim_check WHERE check_id = 'usage.row_count'")).scalar()
        if key is None:
            conn.execute(sa.text(
                "INSERT INTO dim_check (check_id, version, dataset_name, stage, check_type, dimension_name, "
                "severity, definition_json, definition_hash, effective_from, is_current) VALUES ('usage.row_count', "
                "1, 'usage', 'raw', 'row_count', 'completeness', 'critical', '{}', 'h', :n, :t)"),
                {"n": now, "t": True})
            key = conn.execute(sa.text("SELECT check_key FROM dim_check WHERE check_id = 'usage.row_count'")).scalar()
        for batch_id in batch_ids:
            rows = conn.execute(sa.text("SELECT rows_loaded FROM dim_batch WHERE batch_id = :b"), {"b": batch_id}
                                ).scalar_one()
            status = "pass" if rows > 0 else "fail"
            conn.execute(sa.text(
                "INSERT INTO fact_data_quality (run_id, check_key, check_id, dataset_name, stage, batch_id, "
                "dimension_name, severity, date_key, rows_evaluated, observed_value, status, score, measured_at) "
                "VALUES (:r, :k, 'usage.row_count', 'usage', 'raw', :b, 'completeness', 'critical', 20260302, :n, "
                ":n, :s, :score, :at)"),
                {"r": run_id, "k": key, "b": batch_id, "n": rows, "s": status, "score": 1.0 if rows else 0.0,
                 "at": now})
            conn.execute(sa.text(
                "INSERT INTO fact_dq_metric (run_id, metric_hash, metric_name, dataset_name, stage, batch_id, "
                "date_key, value, measured_at) VALUES (:r, 'rc-usage-raw', 'row_count', 'usage', 'raw', :b, "
                "20260302, :n, :at)"), {"r": run_id, "b": batch_id, "n": rows, "at": now})
            break  # the fact's key is (run, check, stage): one batch per check and run
    return run_id
