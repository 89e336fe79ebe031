from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checks.metrics import Metric, metric
from checks.registry import EvalContext, register
from checks.results import Evaluation

_OPS = ("<", "<=", ">", ">=", "=", "<>")
_IGNORE = ("both", "either", "none")
_EXPECT = ("match", "no_match")
_AS = ("text", "number", "date", "timestamp")


@register("lookup", dimension="consistency")
@dataclass(frozen=True)
class Lookup:
    """Each row is looked up in another table (`to`, on `to_columns`; default the same names), directly
    or through one intermediate table (`via`: the row's key matches `via_columns`, and `via_links` of
    that row match `to_columns`). Only rows matching `filter` (column -> value) with every key present
    are judged; only `to` rows matching `to_filter` count as matches. A cross-source check per row.

    Without `compare`: `expect: match` (default) fails a row with no match (an orphan, as `references`
    but filtered), `expect: no_match` fails a row that has one (e.g. a read of a meter listed as removed).
    With `compare` (a column of the row) and `to_compare` (of the matched row, default the same name):
    a row fails when it has a judged match and no judged match for which `compare op to_compare` holds
    (op: < <= > >= = <>, read as `as_type`); with `expect: no_match`, when some judged match satisfies it.
    `ignore` says which pairs are not judged: `both` (default; both values missing), `either` (one
    missing), `none`. Any matching `to` row may satisfy the row, so a record delivered twice (snapshot,
    then a delta) does not make a false alarm.

    Examples: `{id: cln.gis.premise.unit_matches_cis, type: lookup, column: premise_id_std,
    to: cln_cis_premise, compare: unit_std}` (GIS lost the unit CIS has);
    `{id: cis.bill.rebill_cancelled, type: lookup, column: original_bill_id, filter: {bill_type: R},
    to: stg_cis_bill, to_filter: {bill_type: C}}` (a rebill without its cancel).
    """

    to: str
    column: str | None = None
    columns_: tuple[str, ...] = ()
    to_columns: tuple[str, ...] = ()
    via: str | None = None
    via_columns: tuple[str, ...] = ()
    via_links: tuple[str, ...] = ()
    filter: tuple[tuple[str, str], ...] = ()
    to_filter: tuple[tuple[str, str], ...] = ()
    expect: str = "match"
    compare: str | None = None
    to_compare: str | None = None
    op: str = "="
    as_type: str = "text"
    ignore: str = "both"

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.column,) if self.column else tuple(self.columns_)

    def columns(self) -> tuple[str, ...]:
        return self.keys + tuple(c for c, _ in self.filter) + ((self.compare,) if self.compare else ())

    @property
    def sample_column(self) -> str | None:
        """The column a sample's value comes from (masked by its PII kind): the compared value, else a
        single key."""
        return self.compare or (self.keys[0] if len(self.keys) == 1 else None)

    def problems(self) -> list[str]:
        out = []
        if bool(self.column) == bool(self.columns_):
            out.append("give exactly one of 'column' or 'columns'")
        n = len(self.keys)
        if self.via:
            if len(self.via_columns) != n:
                out.append(f"'via_columns' needs {n} name(s), one per key column")
            if not self.via_links or (self.to_columns and len(self.to_columns) != len(self.via_links)):
                out.append("'via_links' names the columns of 'via' matched to 'to_columns' (same count)")
        else:
            if self.via_columns or self.via_links:
                out.append("'via_columns' and 'via_links' need 'via'")
            if self.to_columns and len(self.to_columns) != n:
                out.append(f"'to_columns' has {len(self.to_columns)} names for {n} key columns")
        if self.expect not in _EXPECT:
            out.append(f"'expect' must be one of {', '.join(_EXPECT)}")
        if self.op not in _OPS:
            out.append(f"'op' must be one of {' '.join(_OPS)}")
        if self.ignore not in _IGNORE:
            out.append(f"'ignore' must be one of {', '.join(_IGNORE)}")
        if self.as_type not in _AS:
            out.append(f"'as_type' must be one of {', '.join(_AS)}")
        if self.to_compare and not self.compare:
            out.append("'to_compare' needs 'compare'")
        return out

    def metrics(self) -> dict[str, Metric]:
        opts = {
            "keys": self.keys,
            "to": self.to,
            "to_keys": tuple(self.to_columns) or (tuple(self.via_links) if self.via else self.keys),
            "via": self.via,
            "via_keys": tuple(self.via_columns),
            "via_links": tuple(self.via_links),
            "filter": self.filter,
            "to_filter": self.to_filter,
            "expect": self.expect,
            "compare": self.compare,
            "to_compare": self.to_compare or self.compare,
            "op": self.op,
            "as_type": self.as_type,
            "ignore": self.ignore,
        }
        return {o: metric("lookup", f"lookup.{o}", **opts) for o in ("checked", "failed")}

    def evaluate(self, values: Mapping[str, Any], ctx: EvalContext) -> Evaluation:
        if self.compare:
            what = f"rows whose {self.compare} is not {self.op} {self.to_compare or self.compare} in {self.to}"
        elif self.expect == "match":
            what = f"rows without a match in {self.to}"
        else:
            what = f"rows with a match in {self.to}"
        return Evaluation.rows(values["checked"], values["failed"], what=what)
