"""What the meter-data VEE check types share: where an interval series' columns are, and the defaults
from the VEE rules table in DOMAIN.md. Column names are suite arguments, so the checks run on any
interval table (raw text or typed)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from checks.metrics import Metric, metric
from checks.results import Evaluation


@dataclass(frozen=True)
class IntervalSeries:
    """`keys` identify one series (service point + channel); `timestamp` stamps each interval (its END
    by default, as MDM feeds do); `timezone` converts local stamps to UTC before counting per day."""

    keys: tuple[str, ...] = ("service_point_id", "channel")
    timestamp: str = "interval_end_utc"
    value: str = "value"
    interval_minutes: int = 15
    timestamp_is: str = "end"
    timezone: str | None = None

    def columns(self) -> tuple[str, ...]:
        return (*self.keys, self.timestamp, self.value)

    def series_problems(self) -> list[str]:
        out = []
        if self.interval_minutes <= 0 or 1440 % self.interval_minutes:
            out.append("interval_minutes must divide a day (5, 15, 30, 60...)")
        if self.timestamp_is not in ("end", "start"):
            out.append("timestamp_is must be 'end' or 'start'")
        if not self.keys:
            out.append("keys must name at least one column")
        return out

    def problems(self) -> list[str]:
        return self.series_problems()

    def family_metrics(self, query: str, outputs: tuple[str, ...]) -> dict[str, Metric]:
        opts: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]
        return {o: metric("vee", f"{query}.{o}", **opts) for o in outputs}


def units_evaluation(values: Mapping[str, Any], evaluated: str, failed: str, what: str) -> Evaluation:
    return Evaluation.rows(values[evaluated], values[failed], what=what, **{k: int(v or 0) for k, v in values.items()})
