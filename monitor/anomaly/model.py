"""Anomaly detection on one metric series: robust z-score with MAD, weekday buckets, rate of change.

Pure: a history of (day, value) points and one new point in, a verdict out. The detector is robust by
construction — median and median absolute deviation (MAD) instead of mean and standard deviation — so a
past outage in the history does not widen the band enough to hide the next one.

- Seasonality: utility deliveries have a weekly rhythm (fewer meter exchanges and payments at weekends).
  With `seasonal="auto"` the expected value is the median of the same weekday's points, used when that
  makes the residuals clearly tighter than the plain median does; the scale (MAD) is pooled across all
  weekdays' residuals so that two or three points per weekday still give a stable band.
- Floors: an anomaly must also move the value by at least `min_abs_change` (e.g. 50 rows) and
  `min_rel_change` (e.g. 5 %) from the expected value: a table of 12 rows growing to 15 is not news.
- Direction: `spike`, `drop` or `both`.
- Rate of change: `max_rate_of_change` (e.g. 0.5) fails a point that moved more than 50 % from the
  previous point even when the history's spread is wide.

>>> from datetime import date, timedelta
>>> hist = [Point(date(2026, 1, 1) + timedelta(days=i), 1000.0 + (i % 3)) for i in range(21)]
>>> detect(hist, Point(date(2026, 1, 22), 400.0), AnomalyRule()).status
'fail'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from statistics import median
from typing import Literal

Direction = Literal["both", "spike", "drop"]
Seasonal = Literal["auto", "weekday", "none"]

# 1.4826 * MAD estimates the standard deviation of normally distributed data.
MAD_TO_SIGMA = 1.4826
# Weekday buckets are used in "auto" mode only when they shrink the residual spread this much.
SEASONAL_GAIN = 0.8
MIN_BUCKET_POINTS = 2
RECENT_POINTS = 7


@dataclass(frozen=True)
class AnomalyRule:
    """How one metric is judged. `sensitivity` is the robust z-score at which a point fails; a point
    beyond `sensitivity * warn_ratio` warns."""

    sensitivity: float = 4.0
    warn_ratio: float = 0.75
    min_history: int = 14
    direction: Direction = "both"
    min_abs_change: float = 0.0
    min_rel_change: float = 0.0
    max_rate_of_change: float | None = None
    seasonal: Seasonal = "auto"
    window: int = 56  # points of history used (8 weeks of daily batches)

    def __post_init__(self) -> None:
        if self.sensitivity <= 0 or not 0 < self.warn_ratio <= 1:
            raise ValueError("sensitivity must be > 0 and warn_ratio in (0, 1]")
        if self.direction not in ("both", "spike", "drop"):
            raise ValueError(f"direction must be both, spike or drop, not {self.direction!r}")
        if self.seasonal not in ("auto", "weekday", "none"):
            raise ValueError(f"seasonal must be auto, weekday or none, not {self.seasonal!r}")
        if self.min_history < 3:
            raise ValueError("min_history must be at least 3")


@dataclass(frozen=True)
class Point:
    day: date
    value: float


@dataclass(frozen=True)
class Verdict:
    """The judgement of one point. `low`/`high` is the band outside which the point would fail."""

    status: Literal["pass", "warn", "fail", "skipped"]
    value: float
    expected: float | None
    low: float | None
    high: float | None
    z: float | None
    rel_change: float | None  # (value - expected) / |expected|
    rate_of_change: float | None  # (value - previous) / |previous|
    seasonal: bool
    history: int
    message: str


def detect(history: Sequence[Point], point: Point, rule: AnomalyRule) -> Verdict:
    """Judge `point` against `history` (older points, any order; excluded points already removed)."""
    hist = sorted((p for p in history if _finite(p.value) and p.day <= point.day), key=lambda p: p.day)
    hist = hist[-rule.window:]
    if len(hist) < rule.min_history:
        return Verdict("skipped", point.value, None, None, None, None, None, None, False, len(hist),
                       f"not enough history yet: {len(hist)} of {rule.min_history} points")
    center, scale, seasonal = _baseline(hist, point.day, rule.seasonal)
    diff = point.value - center
    z = diff / scale
    rel = diff / abs(center) if center else (math.inf if diff else 0.0)
    prev = hist[-1].value
    roc = (point.value - prev) / abs(prev) if prev else (math.inf if point.value != prev else 0.0)

    # The band a point must leave to fail: z beyond the sensitivity AND beyond both floors.
    half = max(rule.sensitivity * scale, rule.min_abs_change, rule.min_rel_change * abs(center))
    low, high = center - half, center + half
    sign = {"both": 0, "spike": 1, "drop": -1}[rule.direction]
    directed_z = abs(z) if sign == 0 else sign * z
    past_floors = abs(diff) >= rule.min_abs_change and abs(rel) >= rule.min_rel_change
    status: Literal["pass", "warn", "fail"] = "pass"
    reason = ""
    if past_floors and directed_z >= rule.sensitivity:
        status, reason = "fail", f"robust z {z:+.1f} beyond ±{rule.sensitivity:g}"
    elif past_floors and directed_z >= rule.sensitivity * rule.warn_ratio:
        status, reason = "warn", f"robust z {z:+.1f} beyond ±{rule.sensitivity * rule.warn_ratio:g}"
    if rule.max_rate_of_change is not None and status != "fail" and past_floors:
        directed_roc = abs(roc) if sign == 0 else sign * roc
        if directed_roc > rule.max_rate_of_change:
            status = "fail"
            reason = f"changed {roc:+.0%} since the previous point (limit {rule.max_rate_of_change:.0%})"
    what = "weekday median" if seasonal else "median"
    if status == "pass":
        message = f"{point.value:g} within expected {low:g}..{high:g} ({what} {center:g}, z {z:+.1f})"
    else:
        message = (f"{point.value:g} outside expected {low:g}..{high:g} ({what} {center:g}, "
                   f"{rel:+.0%}): {reason}")
    return Verdict(status, point.value, center, low, high, z, rel, roc, seasonal, len(hist), message)


def _baseline(hist: list[Point], day: date, mode: Seasonal) -> tuple[float, float, bool]:
    """Expected value, scale (sigma estimate) and whether weekday buckets were used."""
    values = [p.value for p in hist]
    global_center = median(values)
    global_res = _loo_residuals(values)
    buckets: dict[int, list[float]] = {}
    for p in hist:
        buckets.setdefault(p.day.weekday(), []).append(p.value)
    own = buckets.get(day.weekday(), [])
    if mode != "none" and len(own) >= MIN_BUCKET_POINTS:
        centers = {wd: median(vs) for wd, vs in buckets.items()}
        res = {wd: _loo_residuals(vs) for wd, vs in buckets.items()}
        seasonal_l1 = _mean_abs([r for rs in res.values() for r in rs])
        if mode == "weekday" or seasonal_l1 < SEASONAL_GAIN * _mean_abs(global_res):
            target = centers[day.weekday()]
            multiplicative = all(c > 0 for c in centers.values()) and _multiplicative_fits_better(centers, res)
            if multiplicative:
                rel = [r / centers[wd] for wd, rs in res.items() for r in rs]
                scale = _spread(rel, 1.0) * target
                level = _level([p.value / centers[p.day.weekday()] - 1 for p in hist], _spread(rel, 1.0))
                return target * (1 + level), scale * (1 + level), True
            flat = [r for rs in res.values() for r in rs]
            scale = _spread(flat, target)
            return target + _level([p.value - centers[p.day.weekday()] for p in hist], scale), scale, True
    scale = _spread(global_res, global_center)
    return global_center + _level([v - global_center for v in values], scale), scale, False


def _level(residuals: list[float], scale: float) -> float:
    """The recent level shift (median residual of the last week) when it is significant, else 0: follows
    growth and trend without chasing noise."""
    recent = residuals[-RECENT_POINTS:]
    if len(recent) < RECENT_POINTS:
        return 0.0
    shift = median(recent)
    # The median of n normal residuals has a standard error of about 1.25 sigma / sqrt(n).
    return shift if abs(shift) > 2 * 1.25 * scale / math.sqrt(len(recent)) else 0.0


def _multiplicative_fits_better(centers: dict[int, float], res: dict[int, list[float]]) -> bool:
    """Does the noise grow with the level (row counts: a weekend with half the rows has half the noise) or
    stay the same (freshness lag: +-30 minutes whether the lag is 4 or 50 hours)? Split the weekdays into
    high- and low-level halves and keep the model under which both halves have the more similar spread."""
    ordered = sorted(centers, key=centers.__getitem__)
    if len(ordered) < 2 or centers[ordered[-1]] <= centers[ordered[0]] * 1.2:
        return True  # no marked weekday level difference: the two models agree; relative is scale-free
    # Split where the weekday levels jump the most (weekend vs weekdays, Monday's catch-up vs the rest).
    gaps = [centers[b] / max(centers[a], 1e-12) for a, b in zip(ordered, ordered[1:], strict=False)]
    cut = gaps.index(max(gaps)) + 1
    low, high = ordered[:cut], ordered[cut:]

    def ratio(groups_res: dict[int, list[float]]) -> float:
        hi = _mean_abs([r for wd in high for r in groups_res[wd]])
        lo = _mean_abs([r for wd in low for r in groups_res[wd]])
        if hi <= 0 or lo <= 0:
            return math.inf
        return abs(math.log(hi / lo))

    relative = {wd: [r / centers[wd] for r in rs] for wd, rs in res.items()}
    return ratio(relative) <= ratio(res)


def _mean_abs(values: list[float]) -> float:
    return sum(abs(v) for v in values) / len(values) if values else 0.0


def _loo_residuals(values: list[float]) -> list[float]:
    """Each value minus the median of the others: the error a prediction from the rest would make. In-sample
    residuals understate it in small buckets (the median is one of the points: its residual is 0)."""
    if len(values) < 2:
        return [0.0 for _ in values]
    return [v - median(values[:i] + values[i + 1:]) for i, v in enumerate(values)]


def _spread(residuals: list[float], center: float) -> float:
    """Sigma estimate: 1.4826 * MAD; the mean absolute deviation when more than half the points are
    equal (MAD 0); a tiny floor for a constant series so any change has a finite, huge z."""
    abs_res = [abs(r) for r in residuals]
    mad = median(abs_res) if abs_res else 0.0
    if mad > 0:
        return MAD_TO_SIGMA * mad
    mean_abs = sum(abs_res) / len(abs_res) if abs_res else 0.0
    if mean_abs > 0:
        return 1.2533 * mean_abs
    return max(abs(center), 1.0) * 1e-6


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)
