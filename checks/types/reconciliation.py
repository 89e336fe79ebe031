from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from checks.metrics import AllOf, InSet, Metric, Predicate, metric
from checks.registry import EvalContext, register
from checks.results import Evaluation

_AGGS = ("count", "sum")


@dataclass(frozen=True)
class Side:
    """One side of a reconciliation: `count` rows or `sum` a column, over rows matching `where`
    (column -> value or list of values), in `dataset` (default: the suite's dataset and batch)."""

    agg: str = "count"
    column: str | None = None
    where: tuple[tuple[str, Any], ...] = ()
    dataset: str | None = None

    @classmethod
    def parse(cls, raw: Any) -> Side:
        if not isinstance(raw, Mapping):
            raise ValueError("a side is a mapping like {agg: sum, column: amount, where: {record_type: '6'}}")
        unknown = set(raw) - {"agg", "column", "where", "dataset"}
        if unknown:
            raise ValueError(f"unknown key(s) {sorted(unknown)} in a side (agg, column, where, dataset)")
        where = raw.get("where") or {}
        if not isinstance(where, Mapping):
            raise ValueError("'where' is a mapping of column -> value(s)")
        frozen = tuple(sorted((str(k), tuple(v) if isinstance(v, list) else v) for k, v in where.items()))
        return cls(str(raw.get("agg", "count")), raw.get("column"), frozen, raw.get("dataset"))

    def problems(self) -> list[str]:
        if self.agg not in _AGGS:
            return [f"agg must be one of {_AGGS}"]
        if self.agg == "sum" and not self.column:
            return ["agg 'sum' needs a 'column'"]
        return []

    def filter(self) -> Predicate | None:
        parts = [InSet(c, v if isinstance(v, tuple) else (v,)) for c, v in self.where]
        return AllOf(tuple(parts)) if parts else None

    def metric(self) -> Metric:
        if self.dataset:
            return metric(
                "reconciliation",
                "reconciliation.value",
                agg=self.agg,
                column=self.column,
                where=self.where,
                dataset=self.dataset,
            )
        if self.agg == "count":
            f = self.filter()
            return metric("aggregate", "count_if", predicate=f) if f else metric("aggregate", "row_count")
        return metric("aggregate", "sum", column=self.column, as_type="number", predicate=self.filter())

    def columns(self) -> tuple[str, ...]:
        if self.dataset:
            return ()
        return tuple(c for c in (self.column,) if c) + tuple(c for c, _ in self.where)


@register("reconciliation", dimension="consistency", table_level=True)
@dataclass(frozen=True)
class Reconciliation:
    """Two counts or sums agree within `tolerance` (absolute) or `tolerance_pct`: across datasets, or
    against a file trailer staged in the same table, or against a fixed `expected` value.

    Example (lockbox details vs the trailer record):
    `{id: pay.lockbox.total, type: reconciliation,
      left: {agg: sum, column: amount_cents, where: {record_type: '6'}},
      right: {agg: sum, column: total_amount_cents, where: {record_type: '9'}}}`
    """

    left: Side = field(default_factory=Side)
    right: Side | None = None
    expected: float | None = None
    tolerance: float = 0
    tolerance_pct: float = 0

    def columns(self) -> tuple[str, ...]:
        return self.left.columns() + (self.right.columns() if self.right else ())

    def problems(self) -> list[str]:
        out = self.left.problems() + (self.right.problems() if self.right else [])
        if (self.right is None) == (self.expected is None):
            out.append("give exactly one of 'right' or 'expected'")
        return out

    def metrics(self) -> dict[str, Metric]:
        m = {"left": self.left.metric()}
        if self.right:
            m["right"] = self.right.metric()
        return m

    def evaluate(self, values: Mapping[str, Any], ctx: EvalContext) -> Evaluation:
        left = float(values["left"] or 0)
        right = float(values["right"] or 0) if self.right else float(self.expected or 0)
        diff = abs(left - right)
        allowed = max(self.tolerance, self.tolerance_pct / 100 * abs(right))
        return Evaluation(
            observed=diff,
            passed=diff <= allowed,
            metrics={"left": left, "right": right, "difference": diff},
            message=f"left {left:g} vs right {right:g}: difference {diff:g} (allowed {allowed:g})",
        )
