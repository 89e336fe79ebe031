"""Anomaly detection on synthetic metric series with known injected anomalies and weekly seasonality.

The series imitate the metrics UtilityFlow records per source and day: row counts with a strong weekday
rhythm and slow growth, null rates, mean usage, freshness lag. Each has anomalies injected at known days.
Walk forward day by day (as the scheduler does), excluding detected anomalies from later training (as
known incidents are), and measure the detection rate and the false-positive rate.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta

import pytest

from monitor.anomaly.model import AnomalyRule, Point, detect

START = date(2026, 1, 5)  # a Monday
DAYS = 150


def _series(kind: str, seed: int) -> tuple[list[Point], set[int]]:
    """One synthetic series and the indexes of its injected anomalies."""
    rng = random.Random(f"{kind}-{seed}")
    points: list[Point] = []
    base = rng.uniform(5_000, 50_000)
    weekday_factor = [1.15, 1.0, 1.0, 0.98, 1.05, 0.45, 0.35]
    for i in range(DAYS):
        day = START + timedelta(days=i)
        wd = day.weekday()
        if kind == "row_count":
            value = base * (1 + 0.001 * i) * weekday_factor[wd] * rng.gauss(1, 0.03)
        elif kind == "null_rate":
            value = max(0.0, rng.gauss(0.02, 0.002))
        elif kind == "mean_usage":
            value = 28.0 * (1.1 if wd >= 5 else 1.0) * rng.gauss(1, 0.02)
        else:  # freshness lag in hours: Monday's delivery covers the weekend
            value = (50.0 if wd == 0 else 4.0) + rng.gauss(0, 0.5)
        points.append(Point(day, value))
    # Anomalies at known days after the minimum history, at least two days apart.
    injected: set[int] = set()
    candidates = list(range(20, DAYS))
    rng.shuffle(candidates)
    for i in candidates:
        if len(injected) == 6:
            break
        if any(abs(i - j) < 3 for j in injected):
            continue
        injected.add(i)
        v = points[i].value
        if kind == "row_count":
            v *= rng.choice([0.0, 0.5, 0.7, 1.3, 1.8, 2.5])
        elif kind == "null_rate":
            v = rng.choice([0.035, 0.06, 0.2, 0.0 + 0.5])
        elif kind == "mean_usage":
            v *= rng.choice([0.75, 1.25, 1000.0, 0.001])
        else:
            v += rng.choice([24.0, 48.0, 12.0])
        points[i] = Point(points[i].day, v)
    return points, injected


def walk_forward(points: list[Point], rule: AnomalyRule) -> list[str]:
    """Statuses day by day; a failed point is excluded from later training, like a known incident."""
    statuses: list[str] = []
    training: list[Point] = []
    for p in points:
        verdict = detect(training, p, rule)
        statuses.append(verdict.status)
        if verdict.status != "fail":
            training.append(p)
    return statuses


def measure(rule: AnomalyRule, kinds=("row_count", "null_rate", "mean_usage", "freshness"), seeds=range(10)):
    detected = injected_total = false_pos = false_warn = normal_total = 0
    for kind in kinds:
        for seed in seeds:
            points, injected = _series(kind, seed)
            statuses = walk_forward(points, rule)
            for i, status in enumerate(statuses):
                if status == "skipped":
                    continue
                if i in injected:
                    injected_total += 1
                    detected += status == "fail"
                else:
                    normal_total += 1
                    false_pos += status == "fail"
                    false_warn += status == "warn"
    return detected / injected_total, false_pos / normal_total, false_warn / normal_total, injected_total, normal_total


def test_detection_and_false_positive_rates_on_seasonal_series_with_injected_anomalies() -> None:
    detection, fp, fw, n_anom, n_normal = measure(AnomalyRule())
    print(f"\nanomaly detection: {n_anom} injected, {n_normal} normal points; detection rate {detection:.3f}, "
          f"false-positive rate {fp:.4f} (fail), {fw:.4f} (warn)")
    assert detection >= 0.95
    assert fp <= 0.01


def test_weekday_buckets_are_what_keeps_weekends_quiet() -> None:
    _, fp_seasonal, *_ = measure(AnomalyRule(), kinds=("row_count",), seeds=range(5))
    _, fp_flat, *_ = measure(AnomalyRule(seasonal="none"), kinds=("row_count",), seeds=range(5))
    assert fp_seasonal <= 0.01
    assert fp_flat > 0.2, "without weekday buckets every weekend looks like an outage"


def _flat(n: int, value: float = 1000.0, jitter: Callable[[int], float] = lambda i: (i % 5) - 2.0) -> list[Point]:
    return [Point(START + timedelta(days=i), value + jitter(i)) for i in range(n)]


def test_min_history_skips_until_enough_points() -> None:
    hist = _flat(13)
    v = detect(hist, Point(START + timedelta(days=13), 10.0), AnomalyRule())
    assert v.status == "skipped" and "13 of 14" in v.message and v.low is None
    v = detect(_flat(14), Point(START + timedelta(days=14), 10.0), AnomalyRule())
    assert v.status == "fail"


def test_absolute_floor_silences_small_changes_on_tiny_tables() -> None:
    hist = _flat(28, value=12.0, jitter=lambda i: 0.0 if i % 2 else 0.5)
    day = START + timedelta(days=28)
    assert detect(hist, Point(day, 25.0), AnomalyRule()).status == "fail"
    quiet = detect(hist, Point(day, 25.0), AnomalyRule(min_abs_change=50))
    assert quiet.status == "pass" and quiet.high >= 12.0 + 50 - 0.5
    assert detect(hist, Point(day, 25.0), AnomalyRule(min_rel_change=1.5)).status == "pass"


def test_direction_spike_ignores_drops_and_vice_versa() -> None:
    hist = _flat(28)
    day = START + timedelta(days=28)
    assert detect(hist, Point(day, 500.0), AnomalyRule(direction="spike")).status == "pass"
    assert detect(hist, Point(day, 1500.0), AnomalyRule(direction="spike")).status == "fail"
    assert detect(hist, Point(day, 1500.0), AnomalyRule(direction="drop")).status == "pass"
    assert detect(hist, Point(day, 500.0), AnomalyRule(direction="drop")).status == "fail"


def test_sensitivity_moves_the_band() -> None:
    hist = _flat(28)
    day = START + timedelta(days=28)
    loose, tight = detect(hist, Point(day, 1010.0), AnomalyRule(sensitivity=20)), detect(
        hist, Point(day, 1010.0), AnomalyRule(sensitivity=2))
    assert loose.high - loose.low > tight.high - tight.low
    assert (loose.status, tight.status) == ("pass", "fail")


def test_rate_of_change_fails_a_jump_a_wide_history_would_hide() -> None:
    hist = _flat(28, jitter=lambda i: 400.0 if i % 2 else -400.0)  # 600..1400: a very wide band
    day = START + timedelta(days=28)
    previous = hist[-1].value  # 1400
    jump = Point(day, 700.0)  # -50 % from the previous point but inside the band
    assert detect(hist, jump, AnomalyRule()).status == "pass"
    v = detect(hist, jump, AnomalyRule(max_rate_of_change=0.4))
    assert v.status == "fail" and v.rate_of_change == pytest.approx(700 / previous - 1)


def test_constant_history_flags_any_real_change_and_keeps_identical_values() -> None:
    hist = _flat(20, value=0.0, jitter=lambda i: 0.0)
    day = START + timedelta(days=20)
    assert detect(hist, Point(day, 0.0), AnomalyRule()).status == "pass"
    assert detect(hist, Point(day, 3.0), AnomalyRule()).status == "fail"


def test_a_past_outage_in_the_history_does_not_hide_the_next_one() -> None:
    hist = _flat(28)
    hist[10] = Point(hist[10].day, 0.0)  # an old outage nobody excluded
    hist[11] = Point(hist[11].day, 0.0)
    assert detect(hist, Point(START + timedelta(days=28), 0.0), AnomalyRule()).status == "fail"


def test_bad_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="direction"):
        AnomalyRule(direction="up")  # type: ignore[arg-type]
