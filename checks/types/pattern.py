from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checks.metrics import IsMissing, Metric, Negate, NoMatch, metric, present_metric
from checks.patterns import PATTERNS
from checks.registry import EvalContext, register, suggest
from checks.results import Evaluation


@register("pattern", dimension="validity")
@dataclass(frozen=True)
class Pattern:
    """Every present value of `column` matches a named `pattern` (email, phone_e164, zip5, zip9,
    cis_partner_id, ...) or a raw `regex` (search semantics: anchor it with ^ and $). On T-SQL a raw
    regex must be translatable exactly, or the check is refused at compile time.

    Example: `{id: cis.customer.email_valid, type: pattern, column: email, pattern: email}`
    """

    column: str
    pattern: str | None = None
    regex: str | None = None
    null_values: tuple[str, ...] = ()  # e.g. CIS's '00000000' date: missing, not invalid
    blank_is_null: bool = True  # false: a blank value is judged against the pattern (GX)

    def columns(self) -> tuple[str, ...]:
        return (self.column,)

    def problems(self) -> list[str]:
        if (self.pattern is None) == (self.regex is None):
            return ["give exactly one of 'pattern' (a named pattern) or 'regex'"]
        if self.pattern is not None and self.pattern not in PATTERNS:
            return [
                f"unknown pattern {self.pattern!r}{suggest(self.pattern, PATTERNS)} "
                f"(named patterns: {', '.join(PATTERNS)})"
            ]
        return []

    def failure(self) -> NoMatch:
        return NoMatch(
            self.column,
            self.pattern or self.regex or "",
            self.pattern is not None,
            tuple(self.null_values),
            self.blank_is_null,
        )

    sample_column = property(lambda self: self.column)

    def metrics(self) -> dict[str, Metric]:
        present = (
            metric(
                "aggregate",
                "count_if",
                predicate=Negate(IsMissing(self.column, tuple(self.null_values), self.blank_is_null)),
            )
            if self.null_values
            else present_metric(self.column, self.blank_is_null)
        )
        return {
            "present": present,
            "failed": metric("aggregate", "count_if", predicate=self.failure()),
        }

    def evaluate(self, values: Mapping[str, Any], ctx: EvalContext) -> Evaluation:
        return Evaluation.rows(values["present"], values["failed"], what="values not matching")
