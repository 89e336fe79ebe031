"""Anomaly detection over fact_dq_metric history, stored as check results with the band."""

from __future__ import annotations

import random
from datetime import date, timedelta

from monitor.anomaly import AnomalyRule, detect_anomalies, dimension_of

START = date(2026, 1, 5)


def _history(mart, days: int, *, outage_day: int | None = None) -> list[int]:
    rng = random.Random(7)
    runs = []
    with mart.transaction():
        _fill(mart, days, outage_day, rng, runs)
    return runs


def _fill(mart, days, outage_day, rng, runs) -> None:
    for i in range(days):
        day = START + timedelta(days=i)
        run = mart.run()
        runs.append(run)
        rows = 1000 * (0.4 if day.weekday() >= 5 else 1.0) * rng.gauss(1, 0.02)
        if i == outage_day:
            rows = 5
        mart.metric(run, "row_count", rows, day, batch_id=i + 1)
        mart.metric(run, "null_rate", 0.02 + rng.gauss(0, 0.001), day, column="email", batch_id=i + 1)


def test_anomalies_are_stored_as_check_results_with_the_band(mart) -> None:
    runs = _history(mart, 28)
    day = START + timedelta(days=28)  # a Monday
    run = mart.run()
    mart.metric(run, "row_count", 300.0, day, batch_id=29)  # a weekday at weekend volume: an outage
    mart.metric(run, "null_rate", 0.02, day, column="email", batch_id=29)
    results = detect_anomalies(mart.engine, run)
    by_metric = {r.key.metric_name: r for r in results}
    assert by_metric["row_count"].verdict.status == "fail"
    assert by_metric["null_rate"].verdict.status == "pass"
    rows = mart.rows("SELECT check_id, status, observed_value, expected_low, expected_high, dimension_name, score "
                     "FROM fact_data_quality WHERE run_id = :r ORDER BY check_id", r=run)
    assert [r.check_id for r in rows] == ["cis_customer.raw.anomaly.null_rate.email",
                                          "cis_customer.raw.anomaly.row_count"]
    count = rows[1]
    assert count.status == "fail" and count.score == 0.0 and count.observed_value == 300.0
    assert count.expected_low < 1000 < count.expected_high and count.dimension_name == "completeness"
    # Idempotent: a second pass replaces the run's anomaly results.
    detect_anomalies(mart.engine, run)
    assert len(mart.rows("SELECT 1 FROM fact_data_quality WHERE run_id = :r", r=run)) == 2
    assert len(runs) == 28


def test_first_runs_are_skipped_until_min_history(duck_mart) -> None:
    _history(duck_mart, 5)
    run = duck_mart.run()
    duck_mart.metric(run, "row_count", 1.0, START + timedelta(days=5), batch_id=99)
    (result,) = [r for r in detect_anomalies(duck_mart.engine, run) if r.key.metric_name == "row_count"]
    assert result.verdict.status == "skipped" and "5 of 14" in result.verdict.message
    row = duck_mart.rows("SELECT status, score, expected_low FROM fact_data_quality WHERE run_id = :r "
                         "AND check_id LIKE '%row_count'", r=run)[0]
    assert (row.status, row.score, row.expected_low) == ("skipped", None, None)


def test_flagged_points_and_known_incidents_are_excluded_from_training(duck_mart) -> None:
    # Two weeks of normal history, then three outage days: each is flagged, and because flagged points do
    # not train the model the third outage is still an anomaly (no "new normal" learned from outages).
    _history(duck_mart, 21)
    statuses = []
    for i in range(21, 24):
        run = duck_mart.run()
        duck_mart.metric(run, "row_count", 3.0, START + timedelta(days=i), batch_id=100 + i)
        statuses += [r.verdict.status for r in detect_anomalies(duck_mart.engine, run)]
    assert statuses == ["fail", "fail", "fail"]


def test_rules_per_metric_and_floors(duck_mart) -> None:
    _history(duck_mart, 28)
    run = duck_mart.run()
    duck_mart.metric(run, "row_count", 700.0, START + timedelta(days=28), batch_id=29)
    quiet = detect_anomalies(duck_mart.engine, run, rules={"row_count": AnomalyRule(min_abs_change=500)})
    assert quiet[0].verdict.status == "pass"
    loud = detect_anomalies(duck_mart.engine, run)
    assert loud[0].verdict.status == "fail"
    # The changed rule is a new dim_check version (SCD2); the old one is closed.
    versions = duck_mart.rows("SELECT version, is_current FROM dim_check WHERE check_id = "
                              "'cis_customer.raw.anomaly.row_count' ORDER BY version")
    assert [(v.version, bool(v.is_current)) for v in versions] == [(1, False), (2, True)]


def test_dimension_of_metric_names() -> None:
    assert dimension_of("freshness_lag_hours") == "timeliness"
    assert dimension_of("duplicate_rate") == "uniqueness"
    assert dimension_of("null_rate") == "completeness"
    assert dimension_of("mean_usage_kwh") == "accuracy"
