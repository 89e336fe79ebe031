from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checks.metrics import AllOf, ColumnCompare, IsMissing, Metric, Negate, metric
from checks.registry import EvalContext, register
from checks.results import Evaluation

_OPS = ("<", "<=", ">", ">=", "=", "<>")
_IGNORE = ("both", "either", "none")


@register("column_compare", dimension="consistency")
@dataclass(frozen=True)
class ColumnCompareCheck:
    """On every row `column op other` holds (op: < <= > >= = <>), both read as `as_type` (number, date,
    timestamp, text). `ignore: both` (default) skips rows where both are missing, `either` rows where
    either is, `none` no row; a judged row with a missing side fails.

    Example: `{id: cis.bill.due_after_issue, type: column_compare, column: due_date, op: '>=',
    other: bill_date, as_type: date}`
    """

    column: str
    op: str
    other: str
    as_type: str = "number"
    ignore: str = "both"

    def columns(self) -> tuple[str, ...]:
        return (self.column, self.other)

    def problems(self) -> list[str]:
        out = []
        if self.op not in _OPS:
            out.append(f"'op' must be one of {' '.join(_OPS)}")
        if self.ignore not in _IGNORE:
            out.append(f"'ignore' must be one of {', '.join(_IGNORE)}")
        if self.as_type not in ("number", "date", "timestamp", "text"):
            out.append("'as_type' must be number, date, timestamp or text")
        return out

    def failure(self) -> ColumnCompare:
        return ColumnCompare(self.column, self.op, self.other, self.as_type, self.ignore)  # type: ignore[arg-type]

    sample_column = property(lambda self: self.column)

    def _judged(self) -> Any:
        a, b = (IsMissing(c, (), False) for c in (self.column, self.other))
        if self.ignore == "both":
            return Negate(AllOf((a, b)))
        if self.ignore == "either":
            return AllOf((Negate(a), Negate(b)))
        return None

    def metrics(self) -> dict[str, Metric]:
        judged = self._judged()
        rows = metric("aggregate", "count_if", predicate=judged) if judged else metric("aggregate", "row_count")
        return {"judged": rows, "failed": metric("aggregate", "count_if", predicate=self.failure())}

    def evaluate(self, values: Mapping[str, Any], ctx: EvalContext) -> Evaluation:
        return Evaluation.rows(
            values["judged"], values["failed"], what=f"rows where not {self.column} {self.op} {self.other}"
        )
