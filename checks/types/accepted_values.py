from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checks.metrics import Metric, NotInSet, metric
from checks.registry import EvalContext, register
from checks.results import Evaluation


@register("accepted_values", dimension="validity")
@dataclass(frozen=True)
class AcceptedValues:
    """Every present value of `column` is one of `values` (missing values are not judged here).

    Example: `{id: cis.account.status, type: accepted_values, column: account_status, values: [A, C, P]}`
    """

    column: str
    values: tuple[Any, ...]

    def columns(self) -> tuple[str, ...]:
        return (self.column,)

    def problems(self) -> list[str]:
        return [] if self.values else ["'values' must list at least one value"]

    def failure(self) -> NotInSet:
        return NotInSet(self.column, tuple(self.values))

    sample_column = property(lambda self: self.column)

    def metrics(self) -> dict[str, Metric]:
        return {
            "present": metric("aggregate", "count_present", column=self.column),
            "failed": metric("aggregate", "count_if", predicate=self.failure()),
        }

    def evaluate(self, values: Mapping[str, Any], ctx: EvalContext) -> Evaluation:
        return Evaluation.rows(values["present"], values["failed"], what="values not accepted")
