from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checks.metrics import AllOf, IsMissing, Metric, Negate, NoMatch, Predicate, metric, present_metric
from checks.registry import EvalContext, register
from checks.results import Evaluation


def like_to_regex(pattern: str) -> str:
    """A SQL LIKE pattern as an anchored regex: % any run, _ one character, backslash escapes."""
    out, i = ["^"], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        elif ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out) + "$"


@register("matches", dimension="validity")
@dataclass(frozen=True)
class Matches:
    """Present values of `column` match any (`match_on: any`) or all (`match_on: all`) of several raw
    `regexes` or SQL `likes` (search semantics for regexes; a LIKE pattern matches the whole value); with
    `negate: true` no value may match any of them. For one regex, `pattern` is the simpler type.

    Example: `{id: crm.contact.phone_forms, type: matches, column: phone, regexes: ['^[+]1', '^1-'],
    match_on: any}`
    """

    column: str
    regexes: tuple[str, ...] = ()
    likes: tuple[str, ...] = ()
    match_on: str = "any"
    negate: bool = False
    blank_is_null: bool = True

    @property
    def all_regexes(self) -> tuple[str, ...]:
        return tuple(self.regexes) + tuple(like_to_regex(p) for p in self.likes)

    def columns(self) -> tuple[str, ...]:
        return (self.column,)

    def problems(self) -> list[str]:
        out = []
        if not self.all_regexes:
            out.append("give at least one of 'regexes' or 'likes'")
        if self.match_on not in ("any", "all"):
            out.append("'match_on' must be any or all")
        return out

    def failure(self) -> Predicate:
        misses = tuple(NoMatch(self.column, r, False, (), self.blank_is_null) for r in self.all_regexes)
        present = Negate(IsMissing(self.column, (), self.blank_is_null))
        if self.negate:  # fails where some pattern matches
            return AllOf((present, Negate(AllOf(misses))))
        if self.match_on == "any":  # fails where none matches
            return AllOf(misses)
        return Negate(AllOf(tuple(Negate(m) for m in misses)))  # fails where some does not match

    sample_column = property(lambda self: self.column)

    def metrics(self) -> dict[str, Metric]:
        return {
            "present": present_metric(self.column, self.blank_is_null),
            "failed": metric("aggregate", "count_if", predicate=self.failure()),
        }

    def evaluate(self, values: Mapping[str, Any], ctx: EvalContext) -> Evaluation:
        what = "values matching a forbidden pattern" if self.negate else "values not matching"
        return Evaluation.rows(values["present"], values["failed"], what=what)
