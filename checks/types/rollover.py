from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checks.metrics import Metric
from checks.registry import EvalContext, register
from checks.results import Evaluation
from checks.vee import IntervalSeries, units_evaluation


@register("rollover", dimension="accuracy")
@dataclass(frozen=True)
class Rollover(IntervalSeries):
    """A cumulative register goes down. A rollover (previous >= high_pct% of 10^dials and current <=
    low_pct%) is reported, not failed; any other decrease fails. Run it on register reads: set
    timestamp to the read time and value to the register value.

    Example: `{id: mdm.register.rollover, type: rollover, keys: [service_point_id, meter_serial],
    timestamp: read_date, value: register_value}`
    """

    dials: Any = "dials"  # a column holding the dial count, or a number
    high_pct: float = 90.0
    low_pct: float = 10.0

    def metrics(self) -> dict[str, Metric]:
        return self.family_metrics("rollover", ("reads", "bad_decreases", "rollovers"))

    def evaluate(self, values: Mapping[str, Any], ctx: EvalContext) -> Evaluation:
        return units_evaluation(values, "reads", "bad_decreases", "register decreases not explained by rollover")
