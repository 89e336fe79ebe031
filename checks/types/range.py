from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from checks.metrics import Metric, OutOfRange, metric, present_metric
from checks.registry import EvalContext, register
from checks.results import Evaluation

_AGGREGATES = ("value", "mean", "min", "max", "sum", "median", "stdev", "distinct_count", "distinct_proportion")
_KINDS = {"mean": "avg", "stdev": "stddev", "distinct_count": "count_distinct"}


@register("range", dimension="validity")
@dataclass(frozen=True)
class Range:
    """Values of `column` lie within [min, max] (`strict_min`/`strict_max` exclude the bound).

    `of: value` (default) judges each row; `of: mean|min|max|sum|median|stdev` judges one aggregate of the
    batch, `of: distinct_count|distinct_proportion` the number (share of present values) of distinct values.
    `blank_is_null: false` judges a blank text value (as unparseable) instead of skipping it (GX).
    `as_type` (number|date|timestamp) is inferred from the bounds; `max: now` means the run's clock.
    Unparseable values fail a row-level range.

    Example: `{id: cis.bill.amount, type: range, column: total_amount, min: 0, max: 100000}`
    """

    column: str
    min: Any = None
    max: Any = None
    strict_min: bool = False
    strict_max: bool = False
    as_type: str | None = None
    of: str = "value"
    blank_is_null: bool = True

    @property
    def read_as(self) -> str:
        if self.as_type:
            return self.as_type
        bounds = [b for b in (self.min, self.max) if b is not None]
        if any(isinstance(b, datetime) or b == "now" for b in bounds):
            return "timestamp"
        if any(isinstance(b, date) for b in bounds):
            return "date"
        return "number"

    def columns(self) -> tuple[str, ...]:
        return (self.column,)

    def problems(self) -> list[str]:
        out = []
        if self.min is None and self.max is None:
            out.append("give 'min', 'max' or both")
        if self.of not in _AGGREGATES:
            out.append(f"'of' must be one of {', '.join(_AGGREGATES)}")
        if self.as_type not in (None, "number", "date", "timestamp"):
            out.append("'as_type' must be number, date or timestamp")
        if self.read_as == "number":
            for b in (self.min, self.max):
                if b is not None and not isinstance(b, int | float):
                    out.append(f"bound {b!r} is not a number")
        return out

    @property
    def row_level(self) -> bool:
        return self.of == "value"

    def failure(self) -> OutOfRange | None:
        if not self.row_level:
            return None
        return OutOfRange(
            self.column,
            self.min,
            self.max,
            self.strict_min,
            self.strict_max,
            self.read_as,  # type: ignore[arg-type]
            self.blank_is_null,
        )

    sample_column = property(lambda self: self.column)

    def metrics(self) -> dict[str, Metric]:
        if self.row_level:
            return {
                "present": present_metric(self.column, self.blank_is_null),
                "failed": metric("aggregate", "count_if", predicate=self.failure()),
            }
        if self.of == "distinct_proportion":
            return {
                "distinct": metric("aggregate", "count_distinct", column=self.column, as_type="text"),
                "present": present_metric(self.column, self.blank_is_null),
            }
        as_type = "text" if self.of == "distinct_count" else self.read_as
        return {"value": metric("aggregate", _KINDS.get(self.of, self.of), column=self.column, as_type=as_type)}

    def evaluate(self, values: Mapping[str, Any], ctx: EvalContext) -> Evaluation:
        if self.row_level:
            return Evaluation.rows(values["present"], values["failed"], what="values out of range")
        if self.of == "distinct_proportion":
            present = int(values["present"] or 0)
            v = int(values["distinct"] or 0) / present if present else None
        else:
            v = values["value"]
        if v is None:
            return Evaluation(skipped=True, message=f"no values to compute the {self.of} of {self.column}")
        lo, hi = (_comparable(v, ctx.now if b == "now" else b) for b in (self.min, self.max))
        ok = True
        if lo is not None:
            ok = ok and (v > lo if self.strict_min else v >= lo)
        if hi is not None:
            ok = ok and (v < hi if self.strict_max else v <= hi)
        return Evaluation(
            observed=v,
            passed=ok,
            metrics={self.of: v},
            message=f"{self.of} of {self.column} is {v}, expected within [{lo}, {hi}]",
        )


def _comparable(value: Any, bound: Any) -> Any:
    """Bounds in the value's terms: naive timestamps are UTC, a date bound on a timestamp is midnight."""
    if bound is None:
        return None
    if isinstance(value, datetime):
        if isinstance(bound, date) and not isinstance(bound, datetime):
            bound = datetime(bound.year, bound.month, bound.day)
        if isinstance(bound, datetime) and (bound.tzinfo is None) != (value.tzinfo is None):
            bound = bound.astimezone(UTC).replace(tzinfo=None) if value.tzinfo is None else bound.replace(tzinfo=UTC)
    return bound
