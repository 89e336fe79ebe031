from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checks.metrics import IsMissing, Metric, Negate, metric
from checks.registry import EvalContext, register
from checks.results import Evaluation


@register("is_null", dimension="validity")
@dataclass(frozen=True)
class IsNull:
    """Every row of `column` is missing (a retired column, a field that must stay empty). With
    `blank_is_null: false` a blank text value counts as a value and fails (GX's expect_column_values_to_be_null).

    Example: `{id: cis.customer.legacy_empty, type: is_null, column: legacy_code}`
    """

    column: str
    blank_is_null: bool = True

    def columns(self) -> tuple[str, ...]:
        return (self.column,)

    def failure(self) -> Negate:
        return Negate(IsMissing(self.column, (), self.blank_is_null))

    sample_column = property(lambda self: self.column)

    def metrics(self) -> dict[str, Metric]:
        return {
            "rows": metric("aggregate", "row_count"),
            "failed": metric("aggregate", "count_if", predicate=self.failure()),
        }

    def evaluate(self, values: Mapping[str, Any], ctx: EvalContext) -> Evaluation:
        return Evaluation.rows(values["rows"], values["failed"], what="rows with a value")
