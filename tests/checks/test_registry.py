"""A user extension registers exactly as the built-ins do, and runs through the same engine."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from checks import registry
from checks.metrics import Compare, Metric, metric
from checks.registry import EvalContext, register
from checks.results import Evaluation, Outcome
from checks.suite import parse_suite
from monitor.runner import run_suite
from tests.conftest import make_table


@register("test_above", dimension="accuracy")
@dataclass(frozen=True)
class Above:
    """Rows where `column` exceeds `limit` fail (a test extension)."""

    column: str
    limit: float = 0

    def columns(self) -> tuple[str, ...]:
        return (self.column,)

    def failure(self) -> Compare:
        return Compare(self.column, ">", self.limit)

    sample_column = property(lambda self: self.column)

    def metrics(self) -> dict[str, Metric]:
        return {
            "rows": metric("aggregate", "row_count"),
            "failed": metric("aggregate", "count_if", predicate=self.failure()),
        }

    def evaluate(self, values: Mapping[str, Any], ctx: EvalContext) -> Evaluation:
        return Evaluation.rows(values["rows"], values["failed"], what="rows above the limit")


@register("test_explodes", dimension="accuracy")
@dataclass(frozen=True)
class Explodes:
    def columns(self) -> tuple[str, ...]:
        return ()

    def metrics(self) -> dict[str, Metric]:
        return {"rows": metric("aggregate", "row_count")}

    def evaluate(self, values: Mapping[str, Any], ctx: EvalContext) -> Evaluation:
        raise RuntimeError("bug in an extension")


def test_builtins_and_extensions_share_one_registry() -> None:
    names = registry.names()
    assert {"not_null", "unique", "interval_count", "test_above"} <= set(names)
    with pytest.raises(ValueError, match="already registered"):
        register("not_null", dimension="completeness")(Above)


def test_extension_runs_and_a_raising_check_is_isolated(duck: sa.Engine) -> None:
    make_table(duck, "ext", {"x": "float"}, [(1.0,), (5.0,), (9.0,)])
    suite = parse_suite("""
dataset: ext
stage: star
checks:
  - {id: above, type: test_above, column: x, limit: 4}
  - {id: boom, type: test_explodes}
  - {id: nn, type: not_null, column: x}
""")
    run = run_suite(duck, suite)
    r = {x.check_id: x for x in run.results}
    assert (r["above"].rows_failed, r["above"].status) == (2, Outcome.FAIL)
    assert r["boom"].status is Outcome.ERROR and "bug in an extension" in r["boom"].message
    assert r["nn"].status is Outcome.PASS
    # one scan (the row count is one metric shared by three checks) + one bounded sample query
    assert run.statements == 2
