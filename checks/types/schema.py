from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checks.metrics import Metric
from checks.registry import EvalContext, register
from checks.results import Evaluation

# Type families, so 'text' matches VARCHAR(40), TEXT, NVARCHAR(4000)...
_FAMILIES = {
    "text": ("char", "text", "string", "clob"),
    "int": ("int",),
    "number": ("int", "numeric", "decimal", "double", "float", "real", "money"),
    "decimal": ("numeric", "decimal", "money"),
    "double": ("double", "float", "real"),
    "date": ("date",),
    "timestamp": ("timestamp", "datetime"),
    "bool": ("bool", "bit"),
}


def type_matches(expected: str, actual: str) -> bool:
    a, e = actual.lower(), expected.lower()
    if e in ("", "any"):
        return True
    if e in _FAMILIES:
        if e == "date":
            return a == "date"
        return any(k in a for k in _FAMILIES[e])
    return a.split("(")[0].strip() == e.split("(")[0].strip()


@register("schema", dimension="validity", table_level=True)
@dataclass(frozen=True)
class Schema:
    """The dataset has the `expected` columns (name -> type family: text, int, number, decimal,
    double, date, timestamp, bool, any, or a database type name); `allow_extra: false` also fails on
    columns not listed; `ordered: true` also fails when the columns are not in the listed order (GX's
    table_columns_to_match_ordered_list). The columns come from the warehouse catalogue, not from a scan.

    Example: `{id: cis.customer.schema, type: schema, expected: {partner_id: text, batch_id: int}}`
    """

    expected: tuple[tuple[str, str], ...] = ()
    allow_extra: bool = True
    ordered: bool = False

    def columns(self) -> tuple[str, ...]:
        return ()  # missing columns are this check's finding, not a suite error

    def metrics(self) -> dict[str, Metric]:
        return {}

    def evaluate(self, values: Mapping[str, Any], ctx: EvalContext) -> Evaluation:
        actual = {k.lower(): v for k, v in ctx.table_columns.items()}
        missing = [c for c, _ in self.expected if c.lower() not in actual]
        wrong = [
            f"{c} is {actual[c.lower()]}, expected {t}"
            for c, t in self.expected
            if c.lower() in actual and not type_matches(t, actual[c.lower()])
        ]
        extra = [] if self.allow_extra else sorted(set(actual) - {c.lower() for c, _ in self.expected})
        order = []
        if self.ordered and not missing:
            listed = [c.lower() for c, _ in self.expected]
            actual_order = [c for c in actual if c in listed]
            if actual_order != listed:
                order = [f"column order is {', '.join(actual_order)}, expected {', '.join(listed)}"]
        problems = (
            ([f"missing: {', '.join(missing)}"] if missing else [])
            + wrong
            + ([f"unexpected: {', '.join(extra)}"] if extra else [])
            + order
        )
        return Evaluation(
            passed=not problems,
            observed=len(problems),
            metrics={"missing": missing, "wrong_type": wrong, "extra": extra},
            message="; ".join(problems) or f"{len(self.expected)} columns as expected",
        )
