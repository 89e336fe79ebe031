"""Anomaly detection over the metric history in `fact_dq_metric`, stored as check results.

For every metric a check run measured (row counts, null rates, duplicate rates, mean usage, failed-row
rates, freshness lag...), judge the new value against that metric's own history (same dataset, stage,
metric and column) and write one `fact_data_quality` row per metric: check id
`<dataset>.<stage>.anomaly.<metric>[.<column>]`, type `anomaly`, with the expected band in
`expected_low`/`expected_high` for the console to draw. Points the same check already flagged, and points
inside a known incident of that check, are left out of training.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from monitor.anomaly.model import AnomalyRule, Point, Verdict, detect

# Which DAMA dimension a metric's anomaly belongs to, by words in its name (first match wins).
_DIMENSION_WORDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("fresh", "lag", "latency", "age", "delay"), "timeliness"),
    (("dup", "unique", "distinct"), "uniqueness"),
    (("null", "missing", "row", "count", "complete", "volume"), "completeness"),
    (("invalid", "pattern", "fail", "valid"), "validity"),
)
_DIMENSION_KEYS = {"completeness": 1, "uniqueness": 2, "validity": 3, "accuracy": 4, "consistency": 5,
                   "timeliness": 6}


@dataclass(frozen=True)
class SeriesKey:
    dataset_name: str
    stage: str
    metric_name: str
    column_name: str | None

    @property
    def check_id(self) -> str:
        tail = f".{self.column_name}" if self.column_name else ""
        return f"{self.dataset_name}.{self.stage}.anomaly.{self.metric_name}{tail}"


@dataclass(frozen=True)
class AnomalyResult:
    key: SeriesKey
    batch_id: int | None
    date_key: int
    verdict: Verdict
    severity: str
    dimension: str


def dimension_of(metric_name: str) -> str:
    """The DAMA dimension of a metric's anomaly (default accuracy: means, sums, usage)."""
    tokens = [t for t in re.split(r"[^a-z0-9]+", metric_name.lower()) if t]
    for words, dimension in _DIMENSION_WORDS:
        if any(t.startswith(w) for t in tokens for w in words):
            return dimension
    return "accuracy"


def detect_anomalies(
    engine: Engine,
    run_id: int,
    *,
    default_rule: AnomalyRule | None = None,
    rules: Mapping[str, AnomalyRule] | None = None,
    severity: str = "warning",
    now: datetime | None = None,
) -> list[AnomalyResult]:
    """Judge every metric of `run_id` against its history and store the results in the same run.

    `rules` maps a metric name (or a full anomaly check id) to its rule; others use `default_rule`.
    Idempotent: re-running replaces the run's anomaly results."""
    default_rule = default_rule or AnomalyRule()
    rules = rules or {}
    measured_at = (now or datetime.now(UTC)).replace(tzinfo=None)
    with engine.begin() as conn:
        current = _current_points(conn, run_id)
        if not current:
            return []
        history = _history(conn, run_id, {k.dataset_name for k in current})
        excluded = _excluded_runs(conn, {k.check_id for k in current})
        results: list[AnomalyResult] = []
        for key, (batch_id, date_key, value) in sorted(current.items(), key=lambda kv: kv[0].check_id):
            rule = rules.get(key.check_id) or rules.get(key.metric_name) or default_rule
            started = time.perf_counter()
            training = [
                Point(_day(dk), v) for (rid, b, dk, v) in history.get(key, [])
                if rid not in excluded.get(key.check_id, set()) and (batch_id is None or b != batch_id)
                and dk <= date_key
            ]
            verdict = detect(training, Point(_day(date_key), value), rule)
            result = AnomalyResult(key, batch_id, date_key, verdict, severity, dimension_of(key.metric_name))
            check_key = _check_key(conn, result, rule, measured_at)
            _write_result(conn, run_id, check_key, result, rule, measured_at,
                          int((time.perf_counter() - started) * 1000))
            results.append(result)
    return results


def _current_points(conn: Connection, run_id: int) -> dict[SeriesKey, tuple[int | None, int, float]]:
    rows = conn.execute(sa.text(
        "SELECT dataset_name, stage, metric_name, column_name, batch_id, date_key, value, measured_at "
        "FROM fact_dq_metric WHERE run_id = :r AND value IS NOT NULL ORDER BY measured_at"
    ), {"r": run_id}).all()
    out: dict[SeriesKey, tuple[int | None, int, float]] = {}
    for ds, stage, metric, col, batch, dk, value, _ in rows:
        out[SeriesKey(ds, stage, metric, col)] = (batch, int(dk), float(value))
    return out


def _history(
    conn: Connection, run_id: int, datasets: set[str]
) -> dict[SeriesKey, list[tuple[int, int | None, int, float]]]:
    """Earlier points per series, one per batch (or per day for whole-table metrics), the latest
    measurement of each."""
    rows = conn.execute(sa.text(
        "SELECT run_id, dataset_name, stage, metric_name, column_name, batch_id, date_key, value, measured_at "
        "FROM fact_dq_metric WHERE run_id <> :r AND value IS NOT NULL AND dataset_name IN :ds "
        "ORDER BY measured_at"
    ).bindparams(sa.bindparam("ds", expanding=True)), {"r": run_id, "ds": sorted(datasets)}).all()
    latest: dict[tuple[SeriesKey, object], tuple[int, int | None, int, float]] = {}
    for rid, ds, stage, metric, col, batch, dk, value, _ in rows:
        key = SeriesKey(ds, stage, metric, col)
        latest[(key, batch if batch is not None else ("day", dk))] = (int(rid), batch, int(dk), float(value))
    out: dict[SeriesKey, list[tuple[int, int | None, int, float]]] = {}
    for (key, _), point in latest.items():
        out.setdefault(key, []).append(point)
    return out


def _excluded_runs(conn: Connection, check_ids: set[str]) -> dict[str, set[int]]:
    """Runs whose points must not train a check: those it flagged itself, and those inside a known
    incident of that check (first to last failing run)."""
    out: dict[str, set[int]] = {c: set() for c in check_ids}
    flagged = conn.execute(sa.text(
        "SELECT check_id, run_id FROM fact_data_quality WHERE check_id IN :c AND status = 'fail'"
    ).bindparams(sa.bindparam("c", expanding=True)), {"c": sorted(check_ids)}).all()
    for check_id, rid in flagged:
        out[check_id].add(int(rid))
    incidents = conn.execute(sa.text(
        "SELECT check_id, first_run_id, last_run_id FROM dq_incident WHERE check_id IN :c"
    ).bindparams(sa.bindparam("c", expanding=True)), {"c": sorted(check_ids)}).all()
    for check_id, first, last in incidents:
        if first is not None:
            out[check_id].update(range(int(first), int(last if last is not None else first) + 1))
    return out


def _check_key(conn: Connection, result: AnomalyResult, rule: AnomalyRule, at: datetime) -> int:
    """The current `dim_check` version of this anomaly check, SCD2 on its definition (a new rule starts
    a new version, so history stays comparable)."""
    from monitor.store import current_check_version

    key = result.key
    definition = json.dumps({"type": "anomaly", "metric": key.metric_name, "column": key.column_name,
                             "rule": asdict(rule), "severity": result.severity}, sort_keys=True)
    return current_check_version(conn, {
        "check_id": key.check_id, "dataset_name": key.dataset_name, "stage": key.stage, "check_type": "anomaly",
        "column_name": key.column_name, "dimension_name": result.dimension, "severity": result.severity,
        "owner": None, "definition_json": definition,
        "definition_hash": hashlib.sha256(definition.encode()).hexdigest(), "suite_file": None,
    }, at)


def _write_result(
    conn: Connection, run_id: int, check_key: int, r: AnomalyResult, rule: AnomalyRule, at: datetime,
    ms: int,
) -> None:
    v = r.verdict
    params = {"run": run_id, "ck": check_key, "st": r.key.stage, "b": r.batch_id}
    conn.execute(sa.text(
        "DELETE FROM fact_data_quality WHERE run_id = :run AND check_key = :ck AND stage = :st "
        "AND (batch_id = :b OR (batch_id IS NULL AND CAST(:b AS BIGINT) IS NULL))"), params)
    score = None if v.status == "skipped" else (0.0 if v.status == "fail" else 1.0)
    conn.execute(sa.text(
        "INSERT INTO fact_data_quality (run_id, check_key, check_id, dataset_key, dataset_name, stage, "
        "batch_id, source, dimension_key, dimension_name, severity, date_key, rows_evaluated, rows_failed, "
        "observed_value, threshold_warn, threshold_fail, expected_low, expected_high, status, score, message, "
        "execution_ms, measured_at) VALUES (:run, :ck, :cid, NULL, :ds, :st, :b, NULL, :dk_dim, :dim, :sev, "
        ":dk, NULL, NULL, :obs, :tw, :tf, :lo, :hi, :status, :score, :msg, :ms, :at)"
    ), {**params, "cid": r.key.check_id, "ds": r.key.dataset_name,
        "dk_dim": _DIMENSION_KEYS[r.dimension], "dim": r.dimension, "sev": r.severity, "dk": r.date_key,
        "obs": v.value, "tw": rule.sensitivity * rule.warn_ratio, "tf": rule.sensitivity, "lo": v.low,
        "hi": v.high, "status": v.status, "score": score, "msg": v.message[:2000], "ms": ms, "at": at})


def _day(date_key: int) -> date:
    return date(date_key // 10000, date_key // 100 % 100, date_key % 100)
