"""SQL for the join/window families (duplicates, references, reconciliation, custom_sql; VEE lives in
`checks.veesql`) as "unit" relations.

A unit relation has one row per unit the family judges (a key group, a row, a meter-day, a run) with
columns `k` (the unit's key as text), `v` (the offending value as text) and one numeric column per
output; `checks.compile` sums the outputs of every unit relation of a family in one statement, and
takes bounded samples from the units where the failure output is positive.

Templates are constant SQL parsed once by sqlglot; their placeholder columns (`__name`) are replaced
by validated, quoted identifiers or literal nodes — never by text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sqlglot
from sqlglot import exp

from checks.metrics import Metric, predicate_columns
from checks.sqlexpr import SqlContext, col, ident, literal, predicate, present, read_as, source, table


@dataclass(frozen=True)
class Units:
    """A unit relation: `select` yields k, v and the numeric `outputs`; `failed` names the output
    whose positive value marks a failing unit (None: no samples). A relation with many units may
    leave k and v out and give them as `key`/`value`, expressions over its columns (table alias `u`)
    that are evaluated for the sampled units only."""

    select: exp.Query
    outputs: tuple[str, ...]
    failed: str | None
    key: exp.Expr | None = None
    value: exp.Expr | None = None

    def sample_key(self) -> exp.Expr:
        return self.key.copy() if self.key is not None else exp.column("k", "u")

    def sample_value(self) -> exp.Expr:
        return self.value.copy() if self.value is not None else exp.column("v", "u")


@lru_cache(maxsize=64)
def _parse(sql: str) -> exp.Expr:
    return sqlglot.parse_one(sql, read="duckdb")


def template(ctx: SqlContext, sql: str, subs: Mapping[str, exp.Expr]) -> exp.Query:
    """Parse a constant template and replace `__name` columns/tables with the given expressions."""

    def swap(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column) and not node.table and node.name in subs:
            return subs[node.name].copy()
        if isinstance(node, exp.Table) and node.name in subs:
            return subs[node.name].copy()
        if isinstance(node, exp.DataType) and node.this in (
            exp.DataType.Type.VARCHAR,
            exp.DataType.Type.TEXT,
        ):
            return ctx.sql_type("text")
        return node

    out = _parse(sql).copy().transform(swap)
    assert isinstance(out, exp.Query)
    return out


def text(e: exp.Expr, ctx: SqlContext) -> exp.Expr:
    return exp.Cast(this=e, to=ctx.sql_type("text"))


def concat_key(ctx: SqlContext, parts: list[exp.Expr]) -> exp.Expr:
    """Key parts joined with '|' (CONCAT_WS skips NULLs in all three dialects)."""
    if len(parts) == 1:
        return text(parts[0], ctx)
    return exp.Anonymous(this="CONCAT_WS", expressions=[exp.Literal.string("|"), *(text(p, ctx) for p in parts)])


def _all_present(ctx: SqlContext, columns: tuple[str, ...]) -> exp.Expr:
    return exp.and_(*(present(ctx, c) for c in columns))


# --- duplicates ------------------------------------------------------------------------------------


def duplicates(ctx: SqlContext, src: exp.Expr, m: Metric) -> Units:
    keys = tuple(m.option("keys"))
    sql = """
        SELECT COUNT(*) AS keyed_rows,
               CASE WHEN COUNT(*) > 1 THEN COUNT(*) ELSE 0 END AS duplicate_rows,
               CASE WHEN COUNT(*) > 1 THEN 1 ELSE 0 END AS duplicate_keys,
               COUNT(*) - 1 AS excess_rows
        FROM __src WHERE __present"""
    judged = (
        exp.or_(*(present(ctx, c, blank=False) for c in keys))
        if m.option("ignore_missing") == "all"
        else _all_present(ctx, keys)
    )
    q = template(ctx, sql, {"__src": src, "__present": judged})
    # One unit per key: a table with few duplicates has about as many units as rows, so the key's text
    # form and the count's (k, v) are built for the sampled units only, not in the grouping.
    q.set("expressions", [*(exp.alias_(col(k), f"_k{i}") for i, k in enumerate(keys)), *q.expressions])
    # group by the key columns themselves (not by their text form): 25% faster on DuckDB at 2M rows
    q.set("group", exp.Group(expressions=[col(k) for k in keys]))
    key = concat_key(ctx, [col(f"_k{i}", "u") for i in range(len(keys))])
    value = text(col("keyed_rows", "u"), ctx)
    outputs = ("keyed_rows", "duplicate_rows", "duplicate_keys", "excess_rows")
    return Units(q, outputs, "duplicate_keys", key=key, value=value)


# --- references ------------------------------------------------------------------------------------


def references(ctx: SqlContext, src: exp.Expr, m: Metric, sample_key: exp.Expr) -> Units:
    keys, to_keys = tuple(m.option("keys")), tuple(m.option("to_keys"))
    parent = (
        exp.select(*(exp.alias_(col(p), f"p{i}") for i, p in enumerate(to_keys)))
        .distinct()
        .from_(table(m.option("to")))
        .subquery("par")
    )
    on = exp.and_(
        *(
            exp.EQ(
                this=read_as(ctx, k, "text"),
                expression=exp.Cast(this=col(f"p{i}", "par"), to=ctx.sql_type("text")),
            )
            for i, k in enumerate(keys)
        )
    )
    sql = """
        SELECT __skey AS k, __value AS v, 1 AS checked,
               CASE WHEN __p0 IS NULL THEN 1 ELSE 0 END AS orphans
        FROM __src LEFT JOIN __parent ON __on WHERE __present"""
    q = template(
        ctx,
        sql,
        {
            "__skey": sample_key,
            "__value": concat_key(ctx, [col(k) for k in keys]),
            "__src": src,
            "__parent": parent,
            "__on": on,
            "__p0": col("p0", "par"),
            "__present": _all_present(ctx, keys),
        },
    )
    return Units(q, ("checked", "orphans"), "orphans")


# --- reconciliation against another dataset --------------------------------------------------------


def reconciliation(ctx: SqlContext, m: Metric) -> Units:
    where = m.option("where") or ()
    column = m.option("column")
    other = SqlContext(ctx.dialect, {})  # the other dataset's types are unknown: read defensively
    value: exp.Expr = (
        exp.Sum(this=read_as(other, column, "number")) if m.option("agg") == "sum" else exp.Count(this=exp.Star())
    )
    q = exp.select(
        exp.alias_(exp.Literal.string(""), "k"),
        exp.alias_(exp.Literal.string(""), "v"),
        exp.alias_(value, "value"),
    ).from_(table(m.option("dataset")))
    for c, v in where:
        values = v if isinstance(v, tuple) else (v,)
        q = q.where(exp.In(this=col(c), expressions=[literal(str(x)) for x in values]))
    return Units(q, ("value",), None)


# --- custom SQL ------------------------------------------------------------------------------------


def custom_sql(ctx: SqlContext, m: Metric) -> Units:
    from checks.types.custom_sql import parse_select

    user = parse_select(m.option("sql"), ctx.dialect)

    def bind(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Placeholder):
            if node.name != "batch_id":
                raise ValueError(f"custom_sql may only use the parameter :batch_id, not {node.sql()}")
            return exp.Var(this=":batch_id")
        return node

    bound = user.transform(bind)
    assert isinstance(bound, exp.Query)
    q = exp.select(
        exp.alias_(exp.Literal.string(""), "k"),
        exp.alias_(exp.Literal.string(""), "v"),
        exp.alias_(exp.Literal.number(1), "failed_rows"),
    ).from_(bound.subquery("q"))
    return Units(q, ("failed_rows",), None)


def row_units(ctx: SqlContext, src: exp.Expr, pred: Any, value_column: str, key: exp.Expr) -> exp.Query:
    """Failing rows of a row-level check as units (k, v) — the sample source on PostgreSQL and T-SQL."""
    cond = predicate(ctx, pred)
    return exp.select(exp.alias_(key, "k"), exp.alias_(text(col(value_column), ctx), "v")).from_(src).where(cond)


def predicate_value_column(pred: Any, fallback: str | None) -> str | None:
    cols = predicate_columns(pred)
    return fallback or (cols[0] if cols else None)


__all__ = [
    "Units",
    "template",
    "source",
    "duplicates",
    "references",
    "reconciliation",
    "custom_sql",
    "row_units",
    "concat_key",
    "text",
    "ident",
    "source",
]
