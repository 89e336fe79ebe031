from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checks.metrics import Metric, metric
from checks.registry import EvalContext, register
from checks.results import Evaluation


@register("references", dimension="consistency")
@dataclass(frozen=True)
class References:
    """Every present `column` (or compound `columns`) value exists in `to` (a table or view) under
    `to_columns` (default: the same names). Rows whose value is missing are not judged.

    Example: `{id: cis.account.partner_fk, type: references, column: partner_id, to: stg_cis_customer}`
    """

    to: str
    column: str | None = None
    columns_: tuple[str, ...] = ()
    to_columns: tuple[str, ...] = ()

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.column,) if self.column else tuple(self.columns_)

    @property
    def parent_keys(self) -> tuple[str, ...]:
        return tuple(self.to_columns) or self.keys

    def columns(self) -> tuple[str, ...]:
        return self.keys

    def problems(self) -> list[str]:
        if bool(self.column) == bool(self.columns_):
            return ["give exactly one of 'column' or 'columns'"]
        if self.to_columns and len(self.to_columns) != len(self.keys):
            return [f"'to_columns' has {len(self.to_columns)} names for {len(self.keys)} key columns"]
        return []

    def metrics(self) -> dict[str, Metric]:
        opts = {"keys": self.keys, "to": self.to, "to_keys": self.parent_keys}
        return {o: metric("references", f"references.{o}", **opts) for o in ("checked", "orphans")}

    def evaluate(self, values: Mapping[str, Any], ctx: EvalContext) -> Evaluation:
        return Evaluation.rows(values["checked"], values["orphans"], what=f"rows without a match in {self.to}")
