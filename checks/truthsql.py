"""The COMPLETE failing rows of one check, as an unbounded query: the evaluation side of the engine.

The hot path (`checks.compile`) measures counts and takes bounded samples. Measuring a check against a
ground truth (`utilityflow truth`) needs every failing row instead, so this module re-states each check's
failure as a relation with one column `rid` (the row's identifier, normally `source_row_number`):

- row-level checks: the check's own failure predicate (`failure()`), the same one the scan counts;
- unique: the rows its `failed_rows` counts (every row of a duplicated key, or the excess rows);
- duplicate_interval: the excess rows (every row after the first of its key, by row id) —
  what deduplication removes and what a re-sent record is;
- references: the orphan rows; lookup: the rows failing their lookup; group_total: the total records
  that disagree with their details (both from the check's own unit relation, keyed by the row id);
- spike: the peak row of each flagged meter-day; zero_run / flat_line: every row of a qualifying run;
- rollover: each read that went down without wrapping (with `fail_on: rollovers`: each wrap);
- multiplier_unit: each mismatched read; inactive_meter: each read of a removed meter; unit_level: every
  row of an implausible meter-day.

The VEE relations reuse `checks.veesql`'s expressions (key, timestamp, day, value) and thresholds; a
test proves that each relation's row count equals the failure count the check itself reports.
Checks without a row grain (row_count, reconciliation, custom_sql, schema, freshness, interval_count,
sum_check) have no failing-row relation: `failing_rows` returns None.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from sqlglot import exp

from checks import familysql, veesql
from checks.compile import render, sqlglot_dialect
from checks.familysql import template
from checks.metrics import predicate_columns
from checks.registry import failure_of
from checks.spec import CheckSpec, Suite
from checks.sqlexpr import SqlContext, col, predicate, present, read_as, source, table

if TYPE_CHECKING:
    from checks.types.references import References
    from checks.types.unique import Unique

_VEE = ("spike", "zero_run", "flat_line", "rollover", "multiplier_unit", "unit_level")


def failing_rows_sql(
    suite: Suite, spec: CheckSpec, dialect: str, column_types: dict[str, str], *, row_id: str = "source_row_number",
    batch: bool = True,
) -> str | None:
    """SQL (SQLAlchemy text() form, `:batch_id` bound when `batch`) selecting `rid` for every failing row
    of `spec`, or None when the check has no row grain."""
    d = sqlglot_dialect(dialect)
    ctx = SqlContext(d, dict(column_types))
    src = source(suite.dataset, suite.schema, suite.batch_column if batch else None)
    q = _failing(ctx, spec, src, col(row_id))
    return render(q, d) if q is not None else None


def _failing(ctx: SqlContext, spec: CheckSpec, src: exp.Expr, rid: exp.Expr) -> exp.Query | None:
    check = spec.check
    pred = failure_of(check)
    if pred is not None:
        return exp.select(exp.alias_(rid, "rid")).from_(src).where(predicate(ctx, pred))
    if spec.type == "unique":
        unique = cast("Unique", check)
        parts: list[exp.Expr] = [col(k) for k in unique.keys]
        if unique.failed_rows == "duplicate_rows":
            return _duplicated(ctx, src, rid, parts, unique.keys)
        return _excess(ctx, src, rid, parts, unique.keys)
    if spec.type == "duplicate_interval":
        m = next(iter(check.metrics().values()))
        return _excess(ctx, src, rid, [col(k) for k in m.option("keys")] + [veesql._ts(ctx, m)], ())
    if spec.type == "references":
        refs = cast("References", check)
        return _orphans(ctx, src, rid, refs.keys, refs.parent_keys, refs.to)
    if spec.type in familysql.LOOKUP_BUILDERS:
        # the check's own unit relation, keyed by the row id: one unit per judged row (total record)
        m = next(iter(check.metrics().values()))
        units = familysql.LOOKUP_BUILDERS[spec.type](ctx, src, m, rid)
        return _failed_units(units)
    if spec.type == "inactive_meter":
        m = next(iter(check.metrics().values()))
        return _failed_units(veesql.inactive_meter_rows(ctx, src, m, rid))
    if spec.type in _VEE:
        m = next(iter(check.metrics().values()))
        return globals()[f"_{spec.type}"](ctx, src, rid, m)
    return None


def _failed_units(units: familysql.Units) -> exp.Query:
    assert units.failed is not None  # every row-grain unit relation names its failure output
    failing = exp.GT(this=exp.column(units.failed, "u"), expression=exp.Literal.number(0))
    return exp.select(exp.alias_(exp.column("k", "u"), "rid")).from_(units.select.subquery("u")).where(failing)


def _excess(ctx: SqlContext, src: exp.Expr, rid: exp.Expr, parts: list[exp.Expr], present_cols: tuple[str, ...]):
    rn = exp.Window(this=exp.RowNumber(), partition_by=parts, order=exp.Order(expressions=[exp.Ordered(this=rid)]))
    inner = exp.select(exp.alias_(rid.copy(), "rid"), exp.alias_(rn, "rn")).from_(src)
    if present_cols:
        inner = inner.where(exp.and_(*(present(ctx, c) for c in present_cols)))
    return exp.select("rid").from_(inner.subquery("d")).where("rn > 1")


def _duplicated(ctx: SqlContext, src: exp.Expr, rid: exp.Expr, parts: list[exp.Expr], present_cols: tuple[str, ...]):
    n = exp.Window(this=exp.Count(this=exp.Star()), partition_by=parts)
    inner = exp.select(exp.alias_(rid.copy(), "rid"), exp.alias_(n, "n")).from_(src)
    inner = inner.where(exp.and_(*(present(ctx, c) for c in present_cols)))
    return exp.select("rid").from_(inner.subquery("d")).where("n > 1")


def _orphans(ctx: SqlContext, src: exp.Expr, rid: exp.Expr, keys, parent_keys, to: str) -> exp.Query:
    parent = (
        exp.select(*(exp.alias_(col(p), f"p{i}") for i, p in enumerate(parent_keys)))
        .distinct()
        .from_(table(to))
        .subquery("par")
    )
    on = exp.and_(
        *(
            exp.EQ(this=read_as(ctx, k, "text"), expression=exp.Cast(this=col(f"p{i}", "par"), to=ctx.sql_type("text")))
            for i, k in enumerate(keys)
        )
    )
    cond = exp.and_(exp.Is(this=col("p0", "par"), expression=exp.Null()), *(present(ctx, k) for k in keys))
    return exp.select(exp.alias_(rid, "rid")).from_(src).join(parent, on=on, join_type="left").where(cond)


def _vee_subs(ctx: SqlContext, src: exp.Expr, rid: exp.Expr, m) -> dict[str, exp.Expr]:
    return {
        "__rid": rid,
        "__key": veesql._key(ctx, m),
        "__ts": veesql._ts(ctx, m),
        "__v": veesql._num(ctx, m.option("value")),
        "__src": src,
    }


def _spike(ctx: SqlContext, src: exp.Expr, rid: exp.Expr, m) -> exp.Query:
    sql = """
        SELECT rid FROM (
          SELECT rid, rn, val, MAX(CASE WHEN rn = 3 THEN val END) OVER (PARTITION BY k, dd) AS third
          FROM (SELECT __rid AS rid, __key AS k, __day AS dd, __v AS val,
                       ROW_NUMBER() OVER (PARTITION BY __key, __day ORDER BY __v DESC) AS rn
                FROM __src WHERE __v IS NOT NULL) AS r) AS g
        WHERE rn = 1 AND third IS NOT NULL AND val >= __min_peak AND val > __ratio * third"""
    subs = _vee_subs(ctx, src, rid, m) | {
        "__day": veesql._day(ctx, m),
        "__min_peak": veesql._n(m.option("min_peak", 1)),
        "__ratio": veesql._n(float(m.option("ratio_pct", 300)) / 100),
    }
    return template(ctx, sql, subs)


def _runs(ctx: SqlContext, src: exp.Expr, rid: exp.Expr, m, *, zero: bool) -> exp.Query:
    flag = "CASE WHEN __v = 0 THEN 1 ELSE 0 END" if zero else "__v"
    counted = "z = 1" if zero else "z <> 0"
    sql = f"""
        SELECT rid FROM (
          SELECT rid, z, COUNT(*) OVER (PARTITION BY k, z, grp) AS run_len
          FROM (SELECT rid, k, z, SUM(brk) OVER (PARTITION BY k ORDER BY ts, zv) AS grp
                FROM (SELECT __rid AS rid, __key AS k, __ts AS ts, __v AS zv, {flag} AS z,
                             CASE WHEN LAG({flag}) OVER (PARTITION BY __key ORDER BY __ts, __v) = {flag}
                                  THEN 0 ELSE 1 END AS brk
                      FROM __src WHERE __v IS NOT NULL) AS r0) AS r) AS g
        WHERE {counted} AND run_len >= __n"""
    return template(ctx, sql, _vee_subs(ctx, src, rid, m) | {"__n": veesql._n(int(m.option("min_run")))})


def _zero_run(ctx: SqlContext, src: exp.Expr, rid: exp.Expr, m) -> exp.Query:
    return _runs(ctx, src, rid, m, zero=True)


def _flat_line(ctx: SqlContext, src: exp.Expr, rid: exp.Expr, m) -> exp.Query:
    return _runs(ctx, src, rid, m, zero=False)


def _rollover(ctx: SqlContext, src: exp.Expr, rid: exp.Expr, m) -> exp.Query:
    if m.option("history"):
        wrap = "prev >= __high * POWER(10, dials) AND cur <= __low * POWER(10, dials)"
        cond = wrap if m.option("fail_on") == "rollovers" else f"NOT ({wrap})"
        sql = f"SELECT rid FROM __series AS r WHERE prev IS NOT NULL AND prev > cur AND {cond}"
        subs = {
            "__series": veesql.rollover_series(ctx, src, m, rid).subquery("r"),
            "__high": veesql._n(float(m.option("high_pct", 90)) / 100),
            "__low": veesql._n(float(m.option("low_pct", 10)) / 100),
        }
        return template(ctx, sql, subs)
    dials = m.option("dials", "dials")
    sql = """
        SELECT rid FROM (
          SELECT __rid AS rid, __v AS cur, LAG(__v) OVER (PARTITION BY __key ORDER BY __ts, __v) AS prev,
                 __dials AS dials
          FROM __src) AS r
        WHERE prev IS NOT NULL AND prev > cur
          AND NOT (prev >= __high * POWER(10, dials) AND cur <= __low * POWER(10, dials))"""
    if m.option("fail_on") == "rollovers":
        sql = sql.replace("AND NOT (", "AND (")
    subs = _vee_subs(ctx, src, rid, m) | {
        "__dials": veesql._num(ctx, dials) if isinstance(dials, str) else veesql._n(int(dials)),
        "__high": veesql._n(float(m.option("high_pct", 90)) / 100),
        "__low": veesql._n(float(m.option("low_pct", 10)) / 100),
    }
    return template(ctx, sql, subs)


def _unit_level(ctx: SqlContext, src: exp.Expr, rid: exp.Expr, m) -> exp.Query:
    sql = """
        SELECT rid FROM (
          SELECT __rid AS rid, __max AS mx, AVG(__v) OVER (PARTITION BY __key, __day, __max) AS a
          FROM __src WHERE __max IS NOT NULL) AS r
        WHERE a > mx"""
    subs = _vee_subs(ctx, src, rid, m) | {"__day": veesql._day(ctx, m), "__max": veesql._unit_max(ctx, m)}
    return template(ctx, sql, subs)


def _multiplier_unit(ctx: SqlContext, src: exp.Expr, rid: exp.Expr, m) -> exp.Query:
    met = SqlContext(ctx.dialect, {})
    sql = """
        SELECT r.rid AS rid
        FROM (SELECT __rid AS rid, __k AS k, __d AS d, __mult AS mult, __unit AS unit FROM __src) AS r
        JOIN (SELECT __mk AS k, __mmult AS mult, __munit AS unit, __inst AS inst, MIN(__rem) AS rem,
                     MAX(__inst) OVER (PARTITION BY __mk) AS last_inst
              FROM __meters GROUP BY __mk, __mmult, __munit, __inst) AS m
          ON r.k = m.k AND r.d >= m.inst AND (m.rem IS NULL OR r.d < m.rem OR m.inst = m.last_inst)
        WHERE r.mult <> m.mult OR r.unit <> m.unit"""
    subs = {
        "__rid": rid,
        "__k": veesql.text(col(m.option("meter_key")), ctx),
        "__d": read_as(ctx, m.option("date"), "date"),
        "__mult": veesql._num(ctx, m.option("multiplier")),
        "__unit": read_as(ctx, m.option("unit"), "text"),
        "__src": src,
        "__meters": source(m.option("meters"), None, None, alias="met"),
        "__mk": veesql.text(col(m.option("meters_key")), ctx),
        "__mmult": read_as(met, m.option("meters_multiplier"), "number"),
        "__munit": read_as(met, m.option("meters_unit"), "text"),
        "__inst": read_as(met, m.option("meters_install_date"), "date"),
        "__rem": read_as(met, m.option("meters_remove_date"), "date"),
    }
    return template(ctx, sql, subs)


__all__ = ["failing_rows_sql", "predicate_columns"]
