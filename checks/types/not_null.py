from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checks.metrics import IsMissing, Metric, metric
from checks.registry import EvalContext, register
from checks.results import Evaluation


@register("not_null", dimension="completeness")
@dataclass(frozen=True)
class NotNull:
    """Every row has a value in `column`. On text columns a blank value and any of `null_values`
    (e.g. CIS's '00000000' for a missing date) count as missing too.

    Example:
    `{id: cis.customer.email_present, type: not_null, column: email, pass_rate: {warn: 0.9, fail: 0.8}}`
    """

    column: str
    null_values: tuple[str, ...] = ()
    blank_is_null: bool = True

    def columns(self) -> tuple[str, ...]:
        return (self.column,)

    def failure(self) -> IsMissing:
        return IsMissing(self.column, tuple(self.null_values), self.blank_is_null)

    sample_column = property(lambda self: self.column)

    def metrics(self) -> dict[str, Metric]:
        return {
            "rows": metric("aggregate", "row_count"),
            "failed": metric("aggregate", "count_if", predicate=self.failure()),
        }

    def evaluate(self, values: Mapping[str, Any], ctx: EvalContext) -> Evaluation:
        return Evaluation.rows(values["rows"], values["failed"], what="rows missing a value")
