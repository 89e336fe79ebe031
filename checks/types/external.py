from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checks.metrics import Metric
from checks.registry import EvalContext, register
from checks.results import Evaluation

ENGINES = ("gx", "soda")


@register("external", dimension="validity", table_level=True)
@dataclass(frozen=True)
class External:
    """A check a peer engine runs because it has no native translation: a Great Expectations
    expectation (`engine: gx`, `definition`: the expectation as JSON) or a SodaCL check (`engine: soda`,
    `definition`: the SodaCL check as YAML). The runner hands it to `monitor.engines`, which runs it where
    the peer supports the warehouse and otherwise reports an error naming it and `reason`.

    Example (written by `utilityflow import gx`): `{id: gx.07.kl_divergence, type: external, engine: gx,
    definition: '{"type": "expect_column_kl_divergence_to_be_less_than", ...}', reason: ...}`
    """

    engine: str
    definition: str
    reason: str = ""

    def columns(self) -> tuple[str, ...]:
        return ()  # the peer engine validates its own columns

    def problems(self) -> list[str]:
        return [] if self.engine in ENGINES else [f"'engine' must be one of {', '.join(ENGINES)}"]

    def metrics(self) -> dict[str, Metric]:
        return {}

    def evaluate(self, values: Mapping[str, Any], ctx: EvalContext) -> Evaluation:
        return Evaluation(skipped=True, message=f"not run: runs through {self.engine} ({self.reason})")
