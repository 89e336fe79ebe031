from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checks.metrics import Metric
from checks.registry import EvalContext, register
from checks.results import Evaluation
from checks.vee import IntervalSeries, units_evaluation


@register("spike", dimension="accuracy")
@dataclass(frozen=True)
class Spike(IntervalSeries):
    """A meter-day whose highest interval exceeds ratio_pct percent of its third-highest, with a peak of
    at least min_peak (kWh).

    Example: `{id: mdm.interval.spike, type: spike, ratio_pct: 300, min_peak: 1}`
    """

    ratio_pct: float = 300.0
    min_peak: float = 1.0

    def metrics(self) -> dict[str, Metric]:
        return self.family_metrics("spike", ("meter_days", "spike_days"))

    def evaluate(self, values: Mapping[str, Any], ctx: EvalContext) -> Evaluation:
        return units_evaluation(values, "meter_days", "spike_days", "meter-days with a spike")
