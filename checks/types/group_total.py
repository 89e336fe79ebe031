from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checks.metrics import Metric, metric
from checks.registry import EvalContext, register
from checks.results import Evaluation


@register("group_total", dimension="consistency")
@dataclass(frozen=True)
class GroupTotal:
    """Each total record (rows matching `total_filter`, column -> value) carries the sum of
    `detail_column` (and, with `count_column`, the number) of the detail rows (`detail_filter`) of its
    group (`group_by`) in the same batch. Fails the total record that disagrees: the per-group form of
    a trailer reconciliation (a lockbox batch total record against its details).

    Example: `{id: pay.lockbox.batch_totals, type: group_total, group_by: [batch_no],
    total_filter: {record_type: '7'}, total_column: total_amount_cents, count_column: record_count,
    detail_filter: {record_type: '6'}, detail_column: amount_cents}`
    """

    group_by: tuple[str, ...]
    total_column: str
    detail_column: str
    total_filter: tuple[tuple[str, str], ...] = ()
    detail_filter: tuple[tuple[str, str], ...] = ()
    count_column: str | None = None

    def columns(self) -> tuple[str, ...]:
        return (
            *self.group_by,
            self.total_column,
            self.detail_column,
            *((self.count_column,) if self.count_column else ()),
            *(c for c, _ in self.total_filter + self.detail_filter),
        )

    def problems(self) -> list[str]:
        out = []
        if not self.group_by:
            out.append("'group_by' must name at least one column")
        if not self.total_filter or not self.detail_filter:
            out.append("'total_filter' and 'detail_filter' must tell total records from details")
        return out

    def metrics(self) -> dict[str, Metric]:
        opts = {
            "group_by": self.group_by,
            "total_column": self.total_column,
            "detail_column": self.detail_column,
            "total_filter": self.total_filter,
            "detail_filter": self.detail_filter,
            "count_column": self.count_column,
        }
        return {o: metric("lookup", f"group_total.{o}", **opts) for o in ("totals", "failed")}

    def evaluate(self, values: Mapping[str, Any], ctx: EvalContext) -> Evaluation:
        what = "total records that disagree with their details"
        return Evaluation.rows(values["totals"], values["failed"], what=what)
