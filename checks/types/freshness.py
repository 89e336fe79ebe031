from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from checks.metrics import Metric, metric
from checks.registry import EvalContext, register
from checks.results import Evaluation

_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhd])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_age(text: str) -> timedelta:
    """'90m', '26h', '2d' -> timedelta; ValueError otherwise."""
    m = _AGE.match(str(text))
    if not m:
        raise ValueError(f"age {text!r} is not like '90m', '26h' or '2d'")
    return timedelta(**{_UNITS[m.group(2)]: float(m.group(1))})


@register("freshness", dimension="timeliness", table_level=True)
@dataclass(frozen=True)
class Freshness:
    """The newest `column` timestamp is at most `max_age` old ('90m', '26h', '2d') at run time.
    Naive timestamps are taken as UTC.

    Example: `{id: mdm.interval.fresh, type: freshness, column: received_at, max_age: 26h}`
    """

    column: str
    max_age: str = "26h"

    def columns(self) -> tuple[str, ...]:
        return (self.column,)

    def problems(self) -> list[str]:
        try:
            parse_age(self.max_age)
        except ValueError as e:
            return [str(e)]
        return []

    def metrics(self) -> dict[str, Metric]:
        return {"newest": metric("aggregate", "max", column=self.column, as_type="timestamp")}

    def evaluate(self, values: Mapping[str, Any], ctx: EvalContext) -> Evaluation:
        newest = values["newest"]
        if newest is None:
            return Evaluation(passed=False, observed=None, message=f"no timestamp in {self.column}")
        if isinstance(newest, str):
            newest = datetime.fromisoformat(newest)
        if newest.tzinfo is None:
            newest = newest.replace(tzinfo=UTC)
        now = ctx.now if ctx.now.tzinfo else ctx.now.replace(tzinfo=UTC)
        age_h = (now - newest).total_seconds() / 3600
        limit = parse_age(self.max_age)
        return Evaluation(
            observed=round(age_h, 3),
            passed=now - newest <= limit,
            metrics={"age_hours": round(age_h, 3), "newest": newest.isoformat()},
            message=f"newest {self.column} is {age_h:.1f} h old (limit {self.max_age})",
        )
