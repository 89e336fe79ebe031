from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checks.metrics import AllOf, IsMissing, Metric, Negate, RowSumNot, metric
from checks.registry import EvalContext, register
from checks.results import Evaluation


@register("row_sum", dimension="consistency")
@dataclass(frozen=True)
class RowSum:
    """On every row the `columns` add up to `total` (a missing part counts as 0; rows with every part
    missing are not judged).

    Example: `{id: cis.bill.split, type: row_sum, columns: [energy_pct, delivery_pct, tax_pct], total: 100}`
    """

    columns_: tuple[str, ...]
    total: float

    def columns(self) -> tuple[str, ...]:
        return tuple(self.columns_)

    def problems(self) -> list[str]:
        return [] if len(self.columns_) >= 2 else ["'columns' needs at least two columns"]

    def failure(self) -> RowSumNot:
        return RowSumNot(tuple(self.columns_), self.total)

    sample_column = property(lambda self: self.columns_[0])

    def metrics(self) -> dict[str, Metric]:
        all_missing = AllOf(tuple(IsMissing(c, (), False) for c in self.columns_))
        return {
            "judged": metric("aggregate", "count_if", predicate=Negate(all_missing)),
            "failed": metric("aggregate", "count_if", predicate=self.failure()),
        }

    def evaluate(self, values: Mapping[str, Any], ctx: EvalContext) -> Evaluation:
        return Evaluation.rows(values["judged"], values["failed"], what=f"rows not summing to {self.total}")
