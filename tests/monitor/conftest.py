"""Fixtures for the monitor tests: a migrated warehouse and a small writer of DQ mart rows.

Until the check engine lands, tests produce its output (runs, results, metrics, samples) directly in the
mart tables, which are the contract between the engine and everything downstream.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warehouse.migrate import migrate


class Mart:
    """Inserts rows shaped like the check engine's output."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._check_keys: dict[str, int] = {}
        self._conn: sa.Connection | None = None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Write many rows in one transaction (a DuckDB file commit costs milliseconds)."""
        with self.engine.begin() as conn:
            self._conn = conn
            try:
                yield
            finally:
                self._conn = None

    @contextmanager
    def _begin(self) -> Iterator[sa.Connection]:
        if self._conn is not None:
            yield self._conn
        else:
            with self.engine.begin() as conn:
                yield conn

    def run(self, started_at: datetime | None = None) -> int:
        at = (started_at or datetime.now(UTC)).replace(tzinfo=None)
        with self._begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO dq_run (started_at, finished_at, trigger, statements, checks_run, status) "
                "VALUES (:at, :at, 'cli', 1, 1, 'done')"), {"at": at})
            return int(conn.execute(sa.text("SELECT MAX(run_id) FROM dq_run")).scalar_one())

    def dataset(self, name: str, stage: str = "raw", channel: str | None = None, owner: str = "owners") -> None:
        with self._begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO dim_dataset (dataset_name, stage, source, owner, slack_channel, updated_at) "
                "VALUES (:n, :s, 'cis', :o, :c, :at)"),
                {"n": name, "s": stage, "o": owner, "c": channel, "at": datetime(2026, 1, 1)})

    def check_key(self, check_id: str, dataset: str, severity: str = "warning", stage: str = "raw") -> int:
        if check_id in self._check_keys:
            return self._check_keys[check_id]
        with self._begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO dim_check (check_id, version, dataset_name, stage, check_type, column_name, "
                "dimension_name, severity, definition_json, definition_hash, effective_from, is_current) "
                "VALUES (:c, 1, :d, :st, 'not_null', 'email', 'validity', :sev, '{}', 'h', :at, :t)"),
                {"c": check_id, "d": dataset, "st": stage, "sev": severity, "at": datetime(2026, 1, 1), "t": True})
            key = int(conn.execute(sa.text("SELECT check_key FROM dim_check WHERE check_id = :c"),
                                   {"c": check_id}).scalar_one())
        self._check_keys[check_id] = key
        return key

    def result(
        self, run_id: int, check_id: str, status: str, *, dataset: str = "cis_customer", batch_id: int | None = 1,
        severity: str = "warning", stage: str = "raw", rows_failed: int = 0, rows_evaluated: int = 100,
        observed: float | None = None, threshold_fail: float | None = 0.95, day: date = date(2026, 3, 2),
        message: str = "",
    ) -> None:
        key = self.check_key(check_id, dataset, severity, stage)
        score = {"pass": 1.0, "warn": 0.9, "fail": 0.5}.get(status)
        with self._begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO fact_data_quality (run_id, check_key, check_id, dataset_name, stage, batch_id, "
                "dimension_key, dimension_name, severity, date_key, rows_evaluated, rows_failed, observed_value, "
                "threshold_warn, threshold_fail, status, score, message, execution_ms, measured_at) VALUES "
                "(:r, :k, :c, :d, :st, :b, 3, 'validity', :sev, :dk, :re, :rf, :obs, NULL, :tf, :s, :score, "
                ":msg, 5, :at)"),
                {"r": run_id, "k": key, "c": check_id, "d": dataset, "st": stage, "b": batch_id, "sev": severity,
                 "dk": int(day.strftime("%Y%m%d")), "re": rows_evaluated, "rf": rows_failed,
                 "obs": observed, "tf": threshold_fail, "s": status, "score": score, "msg": message,
                 "at": datetime(2026, 1, 1)})

    def sample(self, run_id: int, check_id: str, no: int, value: str, column: str = "email",
               batch_id: int | None = 1, stage: str = "raw") -> None:
        with self._begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO fact_dq_error_event (run_id, check_key, check_id, batch_id, stage, sample_no, "
                "row_key, column_name, offending_value, measured_at) VALUES "
                "(:r, :k, :c, :b, :st, :n, :rk, :col, :v, :at)"),
                {"r": run_id, "k": self._check_keys[check_id], "c": check_id, "b": batch_id, "st": stage,
                 "n": no, "rk": f"CUST-{no:05d}", "col": column, "v": value, "at": datetime(2026, 1, 1)})

    def metric(self, run_id: int, metric: str, value: float, day: date, *, dataset: str = "cis_customer",
               stage: str = "raw", column: str | None = None, batch_id: int | None = None) -> None:
        with self._begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO fact_dq_metric (run_id, metric_hash, metric_name, dataset_name, stage, column_name, "
                "batch_id, date_key, value, measured_at) VALUES (:r, :h, :m, :d, :st, :col, :b, :dk, :v, :at)"),
                {"r": run_id, "h": f"{metric}:{dataset}:{stage}:{column}", "m": metric, "d": dataset, "st": stage,
                 "col": column, "b": batch_id, "dk": int(day.strftime("%Y%m%d")), "v": value,
                 "at": datetime.combine(day, datetime.min.time()) + timedelta(hours=6)})

    def rows(self, sql: str, **params: object) -> list[sa.Row]:
        with self.engine.connect() as conn:
            return list(conn.execute(sa.text(sql), params).all())


@pytest.fixture
def mart(warehouse: Engine) -> Mart:
    """A migrated warehouse (DuckDB file and PostgreSQL, parametrized) with a row writer."""
    migrate(warehouse)
    return Mart(warehouse)


@pytest.fixture
def duck_mart(duckdb_engine: Engine) -> Mart:
    """A migrated DuckDB warehouse only (for tests whose subject is not the dialect)."""
    migrate(duckdb_engine)
    return Mart(duckdb_engine)
