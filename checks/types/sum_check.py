from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checks.metrics import Metric
from checks.registry import EvalContext, register
from checks.results import Evaluation
from checks.vee import IntervalSeries, units_evaluation


@register("sum_check", dimension="accuracy")
@dataclass(frozen=True)
class SumCheck(IntervalSeries):
    """Per meter and UTC day, the sum of intervals equals the register delta x multiplier within
    max(tolerance_pct %, tolerance_units). The register read on a date is taken at the end of that day.

    Example: `{id: mdm.interval.sum_check, type: sum_check, register: mdm_register_clean}`
    """

    register: str = "mdm_register"
    meter_key: str = "service_point_id"
    register_key: str = "service_point_id"
    register_date: str = "read_date"
    register_value: str = "register_value"
    register_multiplier: str = "multiplier"
    tolerance_pct: float = 1.0
    tolerance_units: float = 1.0

    def columns(self) -> tuple[str, ...]:
        return (self.meter_key, self.timestamp, self.value)

    def metrics(self) -> dict[str, Metric]:
        return self.family_metrics("sum_check", ("meter_days", "mismatched_days"))

    def evaluate(self, values: Mapping[str, Any], ctx: EvalContext) -> Evaluation:
        return units_evaluation(
            values, "meter_days", "mismatched_days", "meter-days where intervals and register disagree"
        )
