from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checks.metrics import BadLength, Metric, metric, present_metric
from checks.registry import EvalContext, register
from checks.results import Evaluation


@register("length", dimension="validity")
@dataclass(frozen=True)
class Length:
    """Every present value of `column` has between `min` and `max` characters.

    Example: `{id: cis.premise.state_len, type: length, column: state, min: 2, max: 2}`
    """

    column: str
    min: int | None = None
    max: int | None = None
    blank_is_null: bool = True  # false: a blank value has length 0 and is judged (GX)

    def columns(self) -> tuple[str, ...]:
        return (self.column,)

    def problems(self) -> list[str]:
        if self.min is None and self.max is None:
            return ["give 'min', 'max' or both"]
        if self.min is not None and self.max is not None and self.min > self.max:
            return [f"min {self.min} is above max {self.max}"]
        return []

    def failure(self) -> BadLength:
        return BadLength(self.column, self.min, self.max, self.blank_is_null)

    sample_column = property(lambda self: self.column)

    def metrics(self) -> dict[str, Metric]:
        return {
            "present": present_metric(self.column, self.blank_is_null),
            "failed": metric("aggregate", "count_if", predicate=self.failure()),
        }

    def evaluate(self, values: Mapping[str, Any], ctx: EvalContext) -> Evaluation:
        return Evaluation.rows(values["present"], values["failed"], what="values of wrong length")
