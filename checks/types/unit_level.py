from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checks.metrics import Metric
from checks.registry import EvalContext, register
from checks.results import Evaluation
from checks.vee import IntervalSeries, units_evaluation


@register("unit_level", dimension="accuracy")
@dataclass(frozen=True)
class UnitLevel(IntervalSeries):
    """A meter-day whose average interval value is above what its unit can plausibly be (`max_average`:
    unit -> the highest plausible meter-day average of one interval's value, as delivered) was delivered
    in a smaller unit than labelled: Wh as kWh (x1000), gallons as CCF (x748). Every row of such a
    meter-day fails; rows of a unit not listed are not judged. A factor near 1 (therms as CCF, x1.037)
    is within the spread of real reads and cannot be told this way.

    Example: `{id: mdm.interval.unit_level, type: unit_level, keys: [service_point_id, channel],
    timestamp: interval_end_local, value: value, unit: unit, max_average: {KWH: 50, CCF: 3}}`
    """

    unit: str = "unit"
    max_average: tuple[tuple[str, str], ...] = ()

    def columns(self) -> tuple[str, ...]:
        return (*self.keys, self.timestamp, self.value, self.unit)

    def problems(self) -> list[str]:
        out = self.series_problems()
        if not self.max_average:
            out.append("'max_average' maps each unit to judge to its plausible maximum, e.g. {KWH: 50}")
        for u, v in self.max_average:
            try:
                float(v)
            except ValueError:
                out.append(f"max_average of {u!r} must be a number, not {v!r}")
        return out

    def metrics(self) -> dict[str, Metric]:
        return self.family_metrics("unit_level", ("interval_rows", "implausible_rows", "implausible_days"))

    def evaluate(self, values: Mapping[str, Any], ctx: EvalContext) -> Evaluation:
        what = "interval rows of meter-days above their unit's plausible level"
        return units_evaluation(values, "interval_rows", "implausible_rows", what)
