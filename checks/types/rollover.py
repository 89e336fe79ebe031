from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from checks.metrics import Metric
from checks.registry import EvalContext, register
from checks.results import Evaluation
from checks.vee import IntervalSeries, units_evaluation


@register("rollover", dimension="accuracy")
@dataclass(frozen=True)
class Rollover(IntervalSeries):
    """A cumulative register goes down. A rollover (previous >= high_pct% of 10^dials and current <=
    low_pct%) is reported, not failed; any other decrease fails. Run it on register reads: set
    timestamp to the read time and value to the register value. `fail_on: rollovers` turns it around:
    the rollover reads fail (every wrap, whose usage must be computed as 10^dials - previous + current,
    listed as a finding) and other decreases are only reported. A daily register file holds one read
    per meter: `history` (usually the dataset itself) gives each series its previous read from earlier
    batches (the last `lookback_days` before the batch's first read).

    Example: `{id: mdm.register.rollover, type: rollover, keys: [service_point_id, meter_serial],
    timestamp: read_date, value: register_value}`
    """

    dials: Any = "dials"  # a column holding the dial count, or a number
    high_pct: float = 90.0
    low_pct: float = 10.0
    fail_on: str = "decreases"
    history: str | None = None  # a table with earlier reads (usually the dataset itself): the previous read
    lookback_days: int = 7  # of a batch's first read in a series comes from its last `lookback_days`

    def problems(self) -> list[str]:
        out = self.series_problems()
        if self.fail_on not in ("decreases", "rollovers"):
            out.append("'fail_on' must be decreases or rollovers")
        return out

    def metrics(self) -> dict[str, Metric]:
        out = self.family_metrics("rollover", ("reads", "bad_decreases", "rollovers"))
        # options left at their defaults measure as before: same options, same metric ids
        dropped = {"fail_on"} if self.fail_on == "decreases" else set()
        if not self.history:
            dropped |= {"history", "lookback_days"}
        if dropped:
            out = {k: replace(m, options=tuple(o for o in m.options if o[0] not in dropped)) for k, m in out.items()}
        return out

    def evaluate(self, values: Mapping[str, Any], ctx: EvalContext) -> Evaluation:
        if self.fail_on == "rollovers":
            what = "register rollovers (usage = 10^dials - previous + current)"
            return units_evaluation(values, "reads", "rollovers", what)
        return units_evaluation(values, "reads", "bad_decreases", "register decreases not explained by rollover")
