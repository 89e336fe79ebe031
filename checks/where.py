"""Row filters of a check (`where:`): which rows a row-level check judges — GX's `row_condition`.

Suite form (a mapping; combine with `all` / `any` / `not`):

    where: {column: service_class, op: '=', value: RES}
    where: {all: [{column: kwh, op: '>', value: 0}, {column: state, in: [TX, OK]}]}
    where: {column: email, is_null: false}

A filtered check counts only matching rows: its metrics become `count_if(where AND ...)` inside the same
one scan. Only aggregate-family checks (row checks, column aggregates) take a filter; a family check
(unique, references, VEE) or a table check is refused at parse time.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from checks.metrics import AllOf, Compare, InSet, IsMissing, Metric, Negate, Predicate, metric

OPS = ("<", "<=", ">", ">=", "=", "<>", "!=")


def parse_where(value: Any) -> Predicate:
    """The `where:` mapping -> a predicate; ValueError saying what is wrong."""
    if not isinstance(value, dict) or not value:
        raise ValueError("where must be a mapping such as {column: x, op: '>', value: 1}")
    if set(value) == {"all"} or set(value) == {"any"}:
        key = next(iter(value))
        parts = value[key]
        if not isinstance(parts, list) or not parts:
            raise ValueError(f"where.{key} must be a non-empty list")
        preds = tuple(parse_where(p) for p in parts)
        if key == "all":
            return AllOf(preds)
        return Negate(AllOf(tuple(Negate(p) for p in preds)))
    if set(value) == {"not"}:
        return Negate(parse_where(value["not"]))
    column = value.get("column")
    if not isinstance(column, str):
        raise ValueError("where needs 'column' (or all / any / not)")
    rest = set(value) - {"column"}
    if rest == {"op", "value"}:
        op = "<>" if value["op"] == "!=" else value["op"]
        if op not in OPS:
            raise ValueError(f"where op {value['op']!r} must be one of {' '.join(OPS)}")
        v = value["value"]
        if v is None or isinstance(v, bool | list | dict):
            raise ValueError("where value must be a number or a text (use is_null for missing)")
        as_type = "number" if isinstance(v, int | float) else "text"
        return Compare(column, op, v, as_type)  # type: ignore[arg-type]
    if rest == {"in"}:
        if not isinstance(value["in"], list) or not value["in"]:
            raise ValueError("where 'in' must be a non-empty list")
        return InSet(column, tuple(value["in"]))
    if rest == {"is_null"}:
        missing = IsMissing(column, (), False)
        return missing if value["is_null"] else Negate(missing)
    raise ValueError(f"where on {column!r}: give op + value, in, or is_null")


def filtered(metrics: dict[str, Metric], where: Predicate) -> dict[str, Metric]:
    """The same metrics counted only on rows where `where` holds; ValueError for a family metric."""
    out = {}
    for role, m in metrics.items():
        if m.family != "aggregate":
            raise ValueError(f"'where' is not supported for {m.family} checks (only row and column checks)")
        if m.kind == "row_count":
            out[role] = metric("aggregate", "count_if", predicate=where)
        elif m.kind == "count_if":
            assert m.predicate is not None
            out[role] = replace(m, predicate=AllOf((where, m.predicate)))
        elif m.kind == "count_present":
            assert m.column is not None
            out[role] = metric("aggregate", "count_if", predicate=AllOf((where, Negate(IsMissing(m.column)))))
        else:
            pred = where if m.predicate is None else AllOf((where, m.predicate))
            out[role] = replace(m, predicate=pred)
    return out
