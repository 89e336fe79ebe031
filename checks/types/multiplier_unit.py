from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checks.metrics import Metric
from checks.registry import EvalContext, register
from checks.results import Evaluation
from checks.vee import IntervalSeries, units_evaluation


@register("multiplier_unit", dimension="consistency")
@dataclass(frozen=True)
class MultiplierUnit(IntervalSeries):
    """Multiplier and unit of each read equal the meter record valid on the read date (install <= date <
    remove); a read after the service point's last meter was removed is compared with that last record.
    Reads with no meter record (none installed yet, or an unknown service point) are reported as unmatched.

    Example: `{id: mdm.register.multiplier, type: multiplier_unit, meters: cis_service_point}`
    """

    meters: str = "cis_service_point"
    meter_key: str = "service_point_id"
    date: str = "read_date"
    multiplier: str = "multiplier"
    unit: str = "unit"
    meters_key: str = "service_point_id"
    meters_multiplier: str = "meter_multiplier"
    meters_unit: str = "meter_unit"
    meters_install_date: str = "install_date"
    meters_remove_date: str = "remove_date"

    def columns(self) -> tuple[str, ...]:
        return (self.meter_key, self.date, self.multiplier, self.unit)

    def metrics(self) -> dict[str, Metric]:
        return self.family_metrics("multiplier_unit", ("reads", "unmatched", "mismatches"))

    def evaluate(self, values: Mapping[str, Any], ctx: EvalContext) -> Evaluation:
        return units_evaluation(
            values, "reads", "mismatches", "reads whose multiplier or unit differs from the meter record"
        )
