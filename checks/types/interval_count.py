from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checks.metrics import Metric
from checks.registry import EvalContext, register
from checks.results import Evaluation
from checks.vee import IntervalSeries, units_evaluation


@register("interval_count", dimension="completeness")
@dataclass(frozen=True)
class IntervalCount(IntervalSeries):
    """Every series has 1440 / interval_minutes intervals per UTC day (96 quarter-hours, also on DST days).
    Failed = missing intervals; held_days counts meter-days missing more than hold_pct percent.

    Example: `{id: mdm.interval.gaps, type: interval_count, keys: [service_point_id, channel],
    timestamp: interval_end_utc}`
    """

    hold_pct: float = 2.0  # a meter-day missing more than this share would hold the bill (DOMAIN.md)

    def metrics(self) -> dict[str, Metric]:
        return self.family_metrics("interval_count", ("expected_intervals", "missing_intervals", "held_days"))

    def evaluate(self, values: Mapping[str, Any], ctx: EvalContext) -> Evaluation:
        return units_evaluation(values, "expected_intervals", "missing_intervals", "intervals missing")
