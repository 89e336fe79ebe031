from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checks.metrics import Metric, metric
from checks.registry import EvalContext, register
from checks.results import Evaluation

COUNTS = ("duplicate_rows", "excess_rows", "duplicate_keys")


@register("unique", dimension="uniqueness")
@dataclass(frozen=True)
class Unique:
    """No two rows share the key `column` (or the compound key `columns`). Rows with a missing key
    part are not judged (as SQL UNIQUE); `ignore_missing: all` judges a compound key unless every part is
    missing (GX's default ignore_row_if: all_values_are_missing; missing parts then compare equal), and
    only NULL is missing — a blank text is a value, as in GX.

    Three counts are reported, because tools disagree on what "duplicate count" means:
    - duplicate_rows: rows whose key occurs more than once (Great Expectations' unexpected count);
    - duplicate_keys: distinct keys that occur more than once (Soda's duplicate_count);
    - excess_rows: rows beyond the first per key (rows - distinct keys: what deduplication removes).
    `failed_rows` picks the one thresholds judge (default duplicate_rows; duplicate_keys is Soda's
    duplicate_count and suits `max_failed` only).

    Example: `{id: cis.customer.partner_unique, type: unique, column: partner_id}`
    """

    column: str | None = None
    columns_: tuple[str, ...] = ()
    failed_rows: str = "duplicate_rows"
    ignore_missing: str = "any"

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.column,) if self.column else tuple(self.columns_)

    def columns(self) -> tuple[str, ...]:
        return self.keys

    def problems(self) -> list[str]:
        out = []
        if bool(self.column) == bool(self.columns_):
            out.append("give exactly one of 'column' or 'columns'")
        if self.ignore_missing not in ("any", "all"):
            out.append("'ignore_missing' must be any or all")
        if self.failed_rows not in COUNTS:
            out.append(f"'failed_rows' must be one of {', '.join(COUNTS)}")
        return out

    def metrics(self) -> dict[str, Metric]:
        outs = ("keyed_rows",) + COUNTS
        opts: dict[str, Any] = {"keys": self.keys}
        if self.ignore_missing != "any":  # only when set: existing metric ids stay the same
            opts["ignore_missing"] = self.ignore_missing
        return {o: metric("duplicates", f"duplicates.{o}", **opts) for o in outs}

    def evaluate(self, values: Mapping[str, Any], ctx: EvalContext) -> Evaluation:
        counts = {k: int(values[k] or 0) for k in COUNTS}
        ev = Evaluation.rows(values["keyed_rows"], counts[self.failed_rows], what="rows duplicated", **counts)
        msg = (
            f"{counts['duplicate_rows']} duplicate rows, {counts['duplicate_keys']} duplicate keys, "
            f"{counts['excess_rows']} excess rows of {ev.rows_evaluated}"
        )
        return Evaluation(**{**ev.__dict__, "message": msg})
