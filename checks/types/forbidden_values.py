from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checks.metrics import InSet, Metric, metric, present_metric
from checks.registry import EvalContext, register
from checks.results import Evaluation


@register("forbidden_values", dimension="validity")
@dataclass(frozen=True)
class ForbiddenValues:
    """No present value of `column` is one of `values` (placeholders such as 'N/A', 'TEST').

    Example: `{id: crm.contact.no_placeholder, type: forbidden_values, column: email, values: [none@none.com]}`
    """

    column: str
    values: tuple[Any, ...]
    blank_is_null: bool = True

    def columns(self) -> tuple[str, ...]:
        return (self.column,)

    def problems(self) -> list[str]:
        return [] if self.values else ["'values' must list at least one value"]

    def failure(self) -> InSet:
        return InSet(self.column, tuple(self.values))

    sample_column = property(lambda self: self.column)

    def metrics(self) -> dict[str, Metric]:
        return {
            "present": present_metric(self.column, self.blank_is_null),
            "failed": metric("aggregate", "count_if", predicate=self.failure()),
        }

    def evaluate(self, values: Mapping[str, Any], ctx: EvalContext) -> Evaluation:
        return Evaluation.rows(values["present"], values["failed"], what="forbidden values")
