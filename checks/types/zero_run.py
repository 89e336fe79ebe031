from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checks.metrics import Metric
from checks.registry import EvalContext, register
from checks.results import Evaluation
from checks.vee import IntervalSeries, units_evaluation


@register("zero_run", dimension="completeness")
@dataclass(frozen=True)
class ZeroRun(IntervalSeries):
    """A run of at least min_run consecutive zero intervals (a day of quarter-hours by default) on a
    series; failed rows are the intervals inside such runs.

    Example: `{id: mdm.interval.zero_run, type: zero_run, min_run: 96}`
    """

    min_run: int = 96

    def metrics(self) -> dict[str, Metric]:
        return self.family_metrics("zero_run", ("interval_rows", "run_rows", "runs"))

    def evaluate(self, values: Mapping[str, Any], ctx: EvalContext) -> Evaluation:
        return units_evaluation(values, "interval_rows", "run_rows", "intervals in zero runs")
