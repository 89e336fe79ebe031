from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checks.metrics import Metric
from checks.registry import EvalContext, register
from checks.results import Evaluation
from checks.vee import IntervalSeries, units_evaluation


@register("duplicate_interval", dimension="uniqueness")
@dataclass(frozen=True)
class DuplicateInterval(IntervalSeries):
    """The same series and timestamp twice. Re-sent identical rows are reported (excess_rows) and
    resolved by keeping the latest; rows of a duplicate with conflicting values fail.

    Example: `{id: mdm.interval.dupes, type: duplicate_interval}`
    """

    def metrics(self) -> dict[str, Metric]:
        return self.family_metrics("duplicate_interval", ("interval_rows", "excess_rows", "conflicting_rows"))

    def evaluate(self, values: Mapping[str, Any], ctx: EvalContext) -> Evaluation:
        return units_evaluation(values, "interval_rows", "conflicting_rows", "rows duplicated with conflicting values")
