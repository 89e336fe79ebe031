"""Unit relations for the meter-data VEE family (see `checks.familysql` for the unit contract).

Intervals are bucketed into UTC days by their start (the feed stamps the END of an interval), so a
DST day has 96 quarter-hours like any other day; timestamps given in local time are converted first
with `timezone`.
"""

from __future__ import annotations

from sqlglot import exp

from checks.familysql import Units, concat_key, template, text
from checks.metrics import Metric
from checks.sqlexpr import SqlContext, col, read_as, source


def _ts(ctx: SqlContext, m: Metric, column: str | None = None) -> exp.Expr:
    ts = read_as(ctx, column or m.option("timestamp"), "timestamp")
    tz = m.option("timezone")
    if tz:
        ts = exp.AtTimeZone(this=exp.AtTimeZone(this=ts, zone=exp.Literal.string(tz)), zone=exp.Literal.string("UTC"))
        ts = exp.Cast(this=ts, to=ctx.sql_type("timestamp"))
    return ts


def _day(ctx: SqlContext, m: Metric) -> exp.Expr:
    ts = _ts(ctx, m)
    if m.option("timestamp_is", "end") == "end":
        ts = exp.DateAdd(
            this=ts,
            expression=exp.Literal.number(-int(m.option("interval_minutes", 15))),
            unit=exp.Var(this="MINUTE"),
        )
    return exp.Cast(this=ts, to=ctx.sql_type("date"))


def _key(ctx: SqlContext, m: Metric) -> exp.Expr:
    return concat_key(ctx, [col(k) for k in m.option("keys")])


def _num(ctx: SqlContext, column: str) -> exp.Expr:
    return read_as(ctx, column, "number")


def _n(v: float) -> exp.Expr:
    return exp.Literal.number(v)


def interval_count(ctx: SqlContext, src: exp.Expr, m: Metric) -> Units:
    expected = 1440 // int(m.option("interval_minutes", 15))
    sql = """
        SELECT __key AS k, CAST(__day AS VARCHAR) AS v, __expected AS expected_intervals,
               CASE WHEN COUNT(DISTINCT __ts) < __expected THEN __expected - COUNT(DISTINCT __ts) ELSE 0 END
                 AS missing_intervals,
               CASE WHEN __expected - COUNT(DISTINCT __ts) > __expected * __hold THEN 1 ELSE 0 END
                 AS held_days
        FROM __src WHERE __ts IS NOT NULL GROUP BY __key, __day"""
    q = template(
        ctx,
        sql,
        {
            "__key": _key(ctx, m),
            "__day": _day(ctx, m),
            "__ts": _ts(ctx, m),
            "__src": src,
            "__expected": _n(expected),
            "__hold": _n(float(m.option("hold_pct", 2)) / 100),
        },
    )
    return Units(q, ("expected_intervals", "missing_intervals", "held_days"), "missing_intervals")


def duplicate_interval(ctx: SqlContext, src: exp.Expr, m: Metric) -> Units:
    kts = concat_key(ctx, [col(k) for k in m.option("keys")] + [_ts(ctx, m)])
    sql = """
        SELECT __kts AS k, CAST(COUNT(DISTINCT __v) AS VARCHAR) AS v, COUNT(*) AS interval_rows,
               CASE WHEN COUNT(*) > 1 THEN COUNT(*) - 1 ELSE 0 END AS excess_rows,
               CASE WHEN COUNT(*) > 1 AND COUNT(DISTINCT __v) > 1 THEN COUNT(*) ELSE 0 END AS conflicting_rows
        FROM __src GROUP BY __kts"""
    q = template(ctx, sql, {"__kts": kts, "__v": _num(ctx, m.option("value")), "__src": src})
    return Units(q, ("interval_rows", "excess_rows", "conflicting_rows"), "conflicting_rows")


def spike(ctx: SqlContext, src: exp.Expr, m: Metric) -> Units:
    sql = """
        SELECT k, CAST(peak AS VARCHAR) AS v, 1 AS meter_days,
               CASE WHEN peak >= __min_peak AND peak > __ratio * third THEN 1 ELSE 0 END AS spike_days
        FROM (SELECT k, dd, MAX(CASE WHEN rn = 1 THEN val END) AS peak,
                     MAX(CASE WHEN rn = 3 THEN val END) AS third
              FROM (SELECT __key AS k, __day AS dd, __v AS val,
                           ROW_NUMBER() OVER (PARTITION BY __key, __day ORDER BY __v DESC) AS rn
                    FROM __src WHERE __v IS NOT NULL) AS r
              GROUP BY k, dd) AS g
        WHERE third IS NOT NULL"""
    q = template(
        ctx,
        sql,
        {
            "__key": _key(ctx, m),
            "__day": _day(ctx, m),
            "__v": _num(ctx, m.option("value")),
            "__src": src,
            "__min_peak": _n(m.option("min_peak", 1)),
            "__ratio": _n(float(m.option("ratio_pct", 300)) / 100),
        },
    )
    return Units(q, ("meter_days", "spike_days"), "spike_days")


def _runs(ctx: SqlContext, src: exp.Expr, m: Metric, *, zero: bool) -> Units:
    # Gaps and islands: a run starts where the flag (zero) or value (flat-line) differs from the previous
    # row's; the running count of starts numbers the runs. Ordered by (timestamp, value) with the default
    # RANGE frame, rows that tie on both (a re-sent read in a repeated local hour) get the same run number:
    # two independent ROW_NUMBER()s would break such ties differently and change the runs between executions.
    flag = "CASE WHEN __v = 0 THEN 1 ELSE 0 END" if zero else "__v"
    counted = "z = 1" if zero else "z <> 0"
    sql = f"""
        SELECT k, CAST(MIN(ts) AS VARCHAR) AS v, COUNT(*) AS interval_rows,
               CASE WHEN {counted} AND COUNT(*) >= __n THEN COUNT(*) ELSE 0 END AS run_rows,
               CASE WHEN {counted} AND COUNT(*) >= __n THEN 1 ELSE 0 END AS runs
        FROM (SELECT k, ts, z, SUM(brk) OVER (PARTITION BY k ORDER BY ts, zv) AS grp
              FROM (SELECT __key AS k, __ts AS ts, __v AS zv, {flag} AS z,
                           CASE WHEN LAG({flag}) OVER (PARTITION BY __key ORDER BY __ts, __v) = {flag}
                                THEN 0 ELSE 1 END AS brk
                    FROM __src WHERE __v IS NOT NULL) AS r0) AS r
        GROUP BY k, z, grp"""
    q = template(
        ctx,
        sql,
        {
            "__key": _key(ctx, m),
            "__ts": _ts(ctx, m),
            "__v": _num(ctx, m.option("value")),
            "__src": src,
            "__n": _n(int(m.option("min_run"))),
        },
    )
    return Units(q, ("interval_rows", "run_rows", "runs"), "runs")


def zero_run(ctx: SqlContext, src: exp.Expr, m: Metric) -> Units:
    return _runs(ctx, src, m, zero=True)


def flat_line(ctx: SqlContext, src: exp.Expr, m: Metric) -> Units:
    return _runs(ctx, src, m, zero=False)


def rollover_series(ctx: SqlContext, src: exp.Expr, m: Metric, rid: exp.Expr | None = None) -> exp.Query:
    """The batch's reads with the previous read of their series (k, rid, cur, prev, dials), where the
    previous read may come from `history` (a table holding earlier batches, usually the dataset itself):
    its reads of the `lookback_days` before the batch's first read join the series. A daily register
    file has one read per meter, so without history no read of the batch has a previous one."""
    sql = """
        SELECT k, rid, cur, prev, dials FROM (
          SELECT k, rid, cur, dials, judged, LAG(cur) OVER (PARTITION BY k ORDER BY ts, cur) AS prev
          FROM (SELECT __key AS k, __rid AS rid, __ts AS ts, __v AS cur, __dials AS dials, 1 AS judged FROM __src
                UNION ALL
                SELECT __key AS k, NULL AS rid, __ts AS ts, __v AS cur, __dials AS dials, 0 AS judged
                FROM __hist WHERE __ts < __first AND __ts >= __from) AS a) AS b
        WHERE judged = 1"""
    dials = m.option("dials")
    first = exp.select(exp.Min(this=_ts(ctx, m))).from_(src.copy()).subquery()
    since = exp.DateAdd(
        this=first.copy(), expression=exp.Literal.number(-int(m.option("lookback_days", 7))), unit=exp.Var(this="DAY")
    )
    subs = {
        "__key": _key(ctx, m),
        "__rid": rid if rid is not None else exp.Null(),
        "__ts": _ts(ctx, m),
        "__v": _num(ctx, m.option("value")),
        "__dials": _num(ctx, dials) if isinstance(dials, str) else _n(int(dials)),
        "__src": src,
        "__first": first,
        "__from": since,
        "__hist": source(m.option("history"), None, None, alias="h"),
    }
    # `history` has the dataset's columns (it usually is the dataset): both halves read them alike
    return template(ctx, sql, subs)


# A decrease is a rollover when the previous read was near the register's top and the new one near zero.
_ROLLOVER_SELECT = """
    SELECT k, CONCAT_WS('>', CAST(prev AS VARCHAR), CAST(cur AS VARCHAR)) AS v, 1 AS reads,
           CASE WHEN prev > cur AND prev >= __high * POWER(10, dials) AND cur <= __low * POWER(10, dials)
                THEN 0 WHEN prev > cur THEN 1 ELSE 0 END AS bad_decreases,
           CASE WHEN prev > cur AND prev >= __high * POWER(10, dials) AND cur <= __low * POWER(10, dials)
                THEN 1 ELSE 0 END AS rollovers"""


def rollover(ctx: SqlContext, src: exp.Expr, m: Metric) -> Units:
    dials = m.option("dials")
    subs = {"__high": _n(float(m.option("high_pct", 90)) / 100), "__low": _n(float(m.option("low_pct", 10)) / 100)}
    if m.option("history"):
        sql = _ROLLOVER_SELECT + " FROM __series AS r WHERE prev IS NOT NULL"
        subs["__series"] = rollover_series(ctx, src, m).subquery("r")
    else:
        sql = _ROLLOVER_SELECT + """
            FROM (SELECT __key AS k, __v AS cur, LAG(__v) OVER (PARTITION BY __key ORDER BY __ts, __v) AS prev,
                         __dials AS dials FROM __src) AS r
            WHERE prev IS NOT NULL"""
        subs.update({
            "__key": _key(ctx, m),
            "__ts": _ts(ctx, m),
            "__v": _num(ctx, m.option("value")),
            "__src": src,
            "__dials": _num(ctx, dials) if isinstance(dials, str) else _n(int(dials)),
        })
    failed = "rollovers" if m.option("fail_on") == "rollovers" else "bad_decreases"
    return Units(template(ctx, sql, subs), ("reads", "bad_decreases", "rollovers"), failed)


def sum_check(ctx: SqlContext, src: exp.Expr, m: Metric) -> Units:
    reg = SqlContext(ctx.dialect, {})  # the register dataset's types are unknown here: read defensively
    reg_src = source(m.option("register"), None, None, alias="reg")
    sql = """
        SELECT i.k AS k, CONCAT_WS('|', CAST(i.d AS VARCHAR), CAST(i.usage AS VARCHAR)) AS v, 1 AS meter_days,
               CASE WHEN ABS(i.usage - r.delta * r.mult) >
                         CASE WHEN __pct * ABS(r.delta * r.mult) > __units THEN __pct * ABS(r.delta * r.mult)
                              ELSE __units END
                    THEN 1 ELSE 0 END AS mismatched_days
        FROM (SELECT __mk AS k, __day AS d, SUM(__v) AS usage FROM __src GROUP BY __mk, __day) AS i
        JOIN (SELECT __rk AS k, __rd AS d, __rv - LAG(__rv) OVER (PARTITION BY __rk ORDER BY __rd) AS delta,
                     COALESCE(__rm, 1) AS mult
              FROM __reg) AS r ON i.k = r.k AND i.d = r.d
        WHERE r.delta IS NOT NULL"""
    q = template(
        ctx,
        sql,
        {
            "__mk": text(col(m.option("meter_key")), ctx),
            "__day": _day(ctx, m),
            "__v": _num(ctx, m.option("value")),
            "__src": src,
            "__reg": reg_src,
            "__rk": text(col(m.option("register_key")), ctx),
            "__rd": read_as(reg, m.option("register_date"), "date"),
            "__rv": read_as(reg, m.option("register_value"), "number"),
            "__rm": read_as(reg, m.option("register_multiplier"), "number"),
            "__pct": _n(float(m.option("tolerance_pct", 1)) / 100),
            "__units": _n(m.option("tolerance_units", 1)),
        },
    )
    return Units(q, ("meter_days", "mismatched_days"), "mismatched_days")


def multiplier_unit(ctx: SqlContext, src: exp.Expr, m: Metric) -> Units:
    # A meter delivered again (snapshot, then a delta with its removal date) is one record valid until the
    # earliest known removal: each read then meets at most one record per multiplier and unit. A read after
    # the service point's last meter was removed (a read of a removed meter) is compared with that last
    # record: its multiplier and unit are still known, and the read is also inactive_meter's finding.
    met = SqlContext(ctx.dialect, {})
    sql = """
        SELECT r.k AS k,
               CONCAT_WS('|', CAST(r.mult AS VARCHAR), r.unit, CAST(m.mult AS VARCHAR), m.unit) AS v,
               1 AS reads, CASE WHEN m.k IS NULL THEN 1 ELSE 0 END AS unmatched,
               CASE WHEN m.k IS NOT NULL AND (r.mult <> m.mult OR r.unit <> m.unit) THEN 1 ELSE 0 END
                 AS mismatches
        FROM (SELECT __k AS k, __d AS d, __mult AS mult, __unit AS unit FROM __src) AS r
        LEFT JOIN (SELECT __mk AS k, __mmult AS mult, __munit AS unit, __inst AS inst, MIN(__rem) AS rem,
                          MAX(__inst) OVER (PARTITION BY __mk) AS last_inst
                   FROM __meters GROUP BY __mk, __mmult, __munit, __inst) AS m
          ON r.k = m.k AND r.d >= m.inst AND (m.rem IS NULL OR r.d < m.rem OR m.inst = m.last_inst)"""
    q = template(
        ctx,
        sql,
        {
            "__k": text(col(m.option("meter_key")), ctx),
            "__d": read_as(ctx, m.option("date"), "date"),
            "__mult": _num(ctx, m.option("multiplier")),
            "__unit": read_as(ctx, m.option("unit"), "text"),
            "__src": src,
            "__meters": source(m.option("meters"), None, None, alias="met"),
            "__mk": text(col(m.option("meters_key")), ctx),
            "__mmult": read_as(met, m.option("meters_multiplier"), "number"),
            "__munit": read_as(met, m.option("meters_unit"), "text"),
            "__inst": read_as(met, m.option("meters_install_date"), "date"),
            "__rem": read_as(met, m.option("meters_remove_date"), "date"),
        },
    )
    return Units(q, ("reads", "unmatched", "mismatches"), "mismatches")


def inactive_meter_rows(ctx: SqlContext, src: exp.Expr, m: Metric, key: exp.Expr) -> Units:
    """One unit per read: `inactive_reads` is 1 when the meter record(s) of the read's meter (keys) were
    all removed before the read's local date and none is installed and not yet removed on it. A meter
    CIS does not know at all is not judged here (that is a reference check's orphan)."""
    met = SqlContext(ctx.dialect, {})
    keys, meter_keys = tuple(m.option("keys")), tuple(m.option("meters_keys"))
    day = _day(ctx, m)
    r = exp.select(
        exp.alias_(key, "k"),
        exp.alias_(text(day, ctx), "v"),
        exp.alias_(day.copy(), "d"),
        *(exp.alias_(text(col(c), ctx), f"j{i}") for i, c in enumerate(keys)),
    ).from_(src)
    meters = exp.select(
        *(exp.alias_(text(col(c), ctx), f"j{i}") for i, c in enumerate(meter_keys)),
        exp.alias_(read_as(met, m.option("meters_install_date"), "date"), "inst"),
        exp.alias_(read_as(met, m.option("meters_remove_date"), "date"), "rem"),
    ).from_(source(m.option("meters"), None, None, alias="met"))

    def exists(cond: str) -> exp.Expr:
        corr = [exp.EQ(this=col(f"j{i}", "mt"), expression=col(f"j{i}", "r")) for i in range(len(keys))]
        q = exp.select(exp.Literal.number(1)).from_(meters.subquery("mt"))
        return exp.Exists(this=q.where(exp.and_(*corr, exp.condition(cond, dialect="duckdb"))))

    removed = exists("mt.rem < r.d")
    active = exists("mt.inst <= r.d AND (mt.rem IS NULL OR r.d <= mt.rem)")
    flag = exp.Case(
        ifs=[exp.If(this=exp.and_(removed, exp.not_(active)), true=exp.Literal.number(1))],
        default=exp.Literal.number(0),
    )
    q = exp.select("k", "v", exp.alias_(exp.Literal.number(1), "reads"), exp.alias_(flag, "inactive_reads"))
    return Units(q.from_(r.subquery("r")), ("reads", "inactive_reads"), "inactive_reads")


def inactive_meter(ctx: SqlContext, src: exp.Expr, m: Metric) -> Units:
    return inactive_meter_rows(ctx, src, m, _key(ctx, m))


def _unit_max(ctx: SqlContext, m: Metric) -> exp.Expr:
    """The plausible maximum of the unit on the row (NULL for a unit not listed: not judged)."""
    unit = exp.Upper(this=exp.Trim(this=read_as(ctx, m.option("unit"), "text")))
    ifs = [
        exp.If(this=exp.EQ(this=unit.copy(), expression=exp.Literal.string(str(u).upper())), true=_n(float(v)))
        for u, v in m.option("max_average")
    ]
    return exp.Case(ifs=ifs)


def unit_level(ctx: SqlContext, src: exp.Expr, m: Metric) -> Units:
    sql = """
        SELECT __key AS k, CAST(AVG(__v) AS VARCHAR) AS v, COUNT(*) AS interval_rows,
               CASE WHEN AVG(__v) > MAX(__max) THEN COUNT(*) ELSE 0 END AS implausible_rows,
               CASE WHEN AVG(__v) > MAX(__max) THEN 1 ELSE 0 END AS implausible_days
        FROM __src WHERE __max IS NOT NULL GROUP BY __key, __day, __max"""
    subs = {
        "__key": _key(ctx, m),
        "__day": _day(ctx, m),
        "__v": _num(ctx, m.option("value")),
        "__max": _unit_max(ctx, m),
        "__src": src,
    }
    outputs = ("interval_rows", "implausible_rows", "implausible_days")
    return Units(template(ctx, sql, subs), outputs, "implausible_days")


BUILDERS = {
    "interval_count": interval_count,
    "duplicate_interval": duplicate_interval,
    "spike": spike,
    "zero_run": zero_run,
    "flat_line": flat_line,
    "rollover": rollover,
    "sum_check": sum_check,
    "multiplier_unit": multiplier_unit,
    "inactive_meter": inactive_meter,
    "unit_level": unit_level,
}
