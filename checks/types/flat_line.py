from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checks.metrics import Metric
from checks.registry import EvalContext, register
from checks.results import Evaluation
from checks.vee import IntervalSeries, units_evaluation


@register("flat_line", dimension="accuracy")
@dataclass(frozen=True)
class FlatLine(IntervalSeries):
    """The same non-zero value repeated in at least min_run consecutive intervals (a stuck register).

    Example: `{id: mdm.interval.flat, type: flat_line, min_run: 8}`
    """

    min_run: int = 8

    def metrics(self) -> dict[str, Metric]:
        return self.family_metrics("flat_line", ("interval_rows", "run_rows", "runs"))

    def evaluate(self, values: Mapping[str, Any], ctx: EvalContext) -> Evaluation:
        return units_evaluation(values, "interval_rows", "run_rows", "intervals in flat lines")
