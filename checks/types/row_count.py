from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checks.metrics import Metric, metric
from checks.registry import EvalContext, register
from checks.results import Evaluation


@register("row_count", dimension="completeness", table_level=True)
@dataclass(frozen=True)
class RowCount:
    """The batch (or table) has between `min` and `max` rows.

    Example: `{id: cis.customer.rows, type: row_count, min: 1}`
    """

    min: int | None = 1
    max: int | None = None

    def columns(self) -> tuple[str, ...]:
        return ()

    def metrics(self) -> dict[str, Metric]:
        return {"rows": metric("aggregate", "row_count")}

    def evaluate(self, values: Mapping[str, Any], ctx: EvalContext) -> Evaluation:
        n = int(values["rows"] or 0)
        ok = (self.min is None or n >= self.min) and (self.max is None or n <= self.max)
        bounds = f"[{self.min if self.min is not None else '-inf'}, {self.max if self.max is not None else 'inf'}]"
        return Evaluation(
            observed=n, passed=ok, metrics={"row_count": n}, message=f"{n} rows, expected within {bounds}"
        )
