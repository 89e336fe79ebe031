from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checks.metrics import Metric
from checks.registry import EvalContext, register
from checks.results import Evaluation
from checks.vee import IntervalSeries, units_evaluation


@register("inactive_meter", dimension="validity")
@dataclass(frozen=True)
class InactiveMeter(IntervalSeries):
    """VEE "inactive meter": every read (interval or register) of a meter that the meter table lists as
    removed before the read's local date, with no record of that meter installed and not yet removed on
    it. `keys` identify the meter in the read (service point + serial), `meters_keys` in `meters`; the
    read's date is the local date of its `timestamp` (an interval's start when `timestamp_is: end`). A
    meter the meter table does not know is not judged (a references check's orphan).

    Example: `{id: mdm.register.inactive_meter, type: inactive_meter, keys: [service_point_id, meter_serial],
    timestamp: read_date, timestamp_is: start, meters: cln_cis_service_point}`
    """

    keys: tuple[str, ...] = ("service_point_id", "meter_serial")
    meters: str = "cln_cis_service_point"
    meters_keys: tuple[str, ...] = ("service_point_id_std", "meter_serial_std")
    meters_install_date: str = "install_date_std"
    meters_remove_date: str = "remove_date_std"

    def columns(self) -> tuple[str, ...]:
        return (*self.keys, self.timestamp)

    def problems(self) -> list[str]:
        out = self.series_problems()
        if self.timezone:
            out.append("the read's date is local (as the meter table's dates): leave timezone unset")
        if len(self.meters_keys) != len(self.keys):
            out.append(f"'meters_keys' needs {len(self.keys)} name(s), one per key column")
        return out

    def metrics(self) -> dict[str, Metric]:
        return self.family_metrics("inactive_meter", ("reads", "inactive_reads"))

    def evaluate(self, values: Mapping[str, Any], ctx: EvalContext) -> Evaluation:
        return units_evaluation(values, "reads", "inactive_reads", "reads of a meter removed before the read date")
