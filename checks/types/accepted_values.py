from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checks.metrics import Metric, NotInSet, metric, present_metric
from checks.registry import EvalContext, register
from checks.results import Evaluation


@register("accepted_values", dimension="validity")
@dataclass(frozen=True)
class AcceptedValues:
    """Every present value of `column` is one of `values` (missing values are not judged here).
    `blank_is_null: false` judges a blank text value like any other (GX's semantics).

    Example: `{id: cis.account.status, type: accepted_values, column: account_status, values: [A, C, P]}`
    """

    column: str
    values: tuple[Any, ...]
    blank_is_null: bool = True

    def columns(self) -> tuple[str, ...]:
        return (self.column,)

    def problems(self) -> list[str]:
        return [] if self.values else ["'values' must list at least one value"]

    def failure(self) -> NotInSet:
        return NotInSet(self.column, tuple(self.values), self.blank_is_null)

    sample_column = property(lambda self: self.column)

    def metrics(self) -> dict[str, Metric]:
        return {
            "present": present_metric(self.column, self.blank_is_null),
            "failed": metric("aggregate", "count_if", predicate=self.failure()),
        }

    def evaluate(self, values: Mapping[str, Any], ctx: EvalContext) -> Evaluation:
        return Evaluation.rows(values["present"], values["failed"], what="values not accepted")
