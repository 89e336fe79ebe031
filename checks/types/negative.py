from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checks.metrics import AllOf, Compare, InSet, Metric, Negate, Predicate, metric
from checks.registry import EvalContext, register
from checks.results import Evaluation


@register("negative", dimension="accuracy")
@dataclass(frozen=True)
class Negative:
    """An interval or register delta below zero, except on net-metering "received" channels listed in
    `allowed_channels`. Row-level, so it runs inside the dataset's one aggregate scan.

    Example: `{id: mdm.interval.negative, type: negative, value: value, channel: channel,
    allowed_channels: ['2']}`
    """

    value: str = "value"
    channel: str | None = "channel"
    allowed_channels: tuple[str, ...] = ()

    def columns(self) -> tuple[str, ...]:
        return (self.value,) + ((self.channel,) if self.channel and self.allowed_channels else ())

    def failure(self) -> Predicate:
        below = Compare(self.value, "<", 0)
        if self.channel and self.allowed_channels:
            return AllOf((below, Negate(InSet(self.channel, tuple(self.allowed_channels)))))
        return below

    sample_column = property(lambda self: self.value)

    def metrics(self) -> dict[str, Metric]:
        return {
            "present": metric("aggregate", "count_present", column=self.value),
            "failed": metric("aggregate", "count_if", predicate=self.failure()),
        }

    def evaluate(self, values: Mapping[str, Any], ctx: EvalContext) -> Evaluation:
        return Evaluation.rows(values["present"], values["failed"], what="negative values")
