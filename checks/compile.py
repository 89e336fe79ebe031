"""Metrics -> SQL statements for one dataset and batch, per dialect (duckdb, postgres, tsql).

- Every aggregate metric of every check is one column of ONE SELECT over the batch (deduplicated by
  metric id); the SELECT is split only when it would exceed the dialect's statement length.
- Failed-row samples of row checks: `compile_samples` builds one bounded UNION ALL of `LIMIT n`
  branches for the checks that failed (issued only then). On DuckDB `inline_samples=True` puts them in
  the scan instead (`ARG_MIN(struct, key, n) FILTER (...)`); measured slower, see `compile_suite`.
- Each join/window family (duplicates, references, lookup, vee, reconciliation, custom_sql) is at most one
  more statement: its unit relations, each summed to one row, CROSS JOINed. On DuckDB the family's
  samples ride inside it (ARG_MIN over the failing units); elsewhere they join the sample query.
- So per dataset and batch: 1 scan (+1 sample query if a row check failed) + 1 per family used.

Statements are in SQLAlchemy `text()` form: the batch is the bind parameter `:batch_id` (colons inside
string literals are escaped for text()).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from checks import familysql, veesql
from checks.errors import ChecksError, CompileError
from checks.metrics import Metric
from checks.spec import CheckSpec, Suite
from checks.sqlexpr import SqlContext, col, predicate, present, read_as, source

# PostgreSQL's planner prices each row a parallel worker hands over at parallel_tuple_cost (0.1), so a
# GROUP BY of ~1 group per row (duplicate keys) is priced as if serial were cheaper; it is not: the
# parallel hash aggregation is 25-40% faster at 2M near-unique keys and the same at few groups
# (docs/peers.md). Applied with SET LOCAL to the duplicates statement's own transaction.
PARALLEL_GROUPING = (("parallel_tuple_cost", "0"),)
FAMILY_ORDER = ("aggregate", "duplicates", "references", "lookup", "vee", "reconciliation", "custom_sql")
_MAX_CHARS = {"duckdb": 50_000_000, "postgres": 100_000_000, "tsql": 65_536 * 4}
_SQLGLOT = {
    "duckdb": "duckdb",
    "postgres": "postgres",
    "postgresql": "postgres",
    "tsql": "tsql",
    "synapse": "tsql",
    "mssql": "tsql",
}


@dataclass(frozen=True)
class Statement:
    """One SQL statement of a plan and how to read its single result row."""

    family: str
    sql: str
    outputs: tuple[tuple[str, str], ...] = ()  # (result column, metric id)
    samples: tuple[tuple[str, str], ...] = ()  # (result column, check id): DuckDB inline samples
    check_ids: tuple[str, ...] = ()  # the checks that depend on this statement
    read_only: bool = False  # run in a read-only transaction (user-written SQL)
    settings: tuple[tuple[str, str], ...] = ()  # planner settings for this statement's transaction only


@dataclass
class Plan:
    """Everything the runner executes for one suite on one batch, and how results map back."""

    dataset: str
    dialect: str
    statements: list[Statement]
    metrics: dict[str, Metric]
    check_metrics: dict[str, dict[str, str]]  # check id -> role -> metric id
    errors: dict[str, str] = field(default_factory=dict)  # check id -> why it cannot compile
    sample_sources: dict[str, tuple[exp.Query, int]] = field(default_factory=dict)  # check -> (k,v units, n)


def sqlglot_dialect(name: str) -> str:
    try:
        return _SQLGLOT[name.lower()]
    except KeyError:
        raise CompileError(f"unknown dialect {name!r}; use duckdb, postgres or tsql", code="unknown_dialect") from None


def render(e: exp.Expr, dialect: str) -> str:
    """SQL text in SQLAlchemy text() form."""

    def escape(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Literal) and node.is_string and ":" in node.this:
            return exp.Literal.string(node.this.replace(":", "\\:"))
        return node

    # transform() copies the whole tree: only when a literal needs escaping (rare) — the copy was a
    # third of the runner's Python time per run
    if any(isinstance(n, exp.Literal) and n.is_string and ":" in n.this for n in e.walk()):
        e = e.transform(escape)
    # every caller renders a tree built for this statement alone, so the generator need not copy it
    return e.sql(dialect=dialect, copy=False)


def sample_key(suite: Suite, column_types: Mapping[str, str]) -> tuple[str, ...]:
    """Columns identifying a failed row: the suite's `keys`, else the staged row number, else the
    first unique check's key."""
    if suite.keys:
        return suite.keys
    if "source_row_number" in column_types:
        return ("source_row_number",)
    for spec in suite.checks:
        if spec.type == "unique":
            return tuple(spec.check.columns())
    return ()


def compile_suite(
    suite: Suite,
    dialect: str,
    *,
    column_types: Mapping[str, str] | None = None,
    batch: bool = True,
    samples: bool = True,
    only: Iterable[str] | None = None,
    max_statement_chars: int | None = None,
    inline_samples: bool = False,
) -> Plan:
    """Compile a suite for one dialect. `column_types` (name -> database type) tells text columns apart
    (the raw stage); `batch=False` scans the whole table (no batch column); `only` limits the checks
    (the runner recompiles a failed statement check by check to isolate a broken one);
    `max_statement_chars` overrides the dialect's statement length limit; `inline_samples` (DuckDB)
    takes samples inside the one scan with ARG_MIN instead of the bounded follow-up query.

    Why the follow-up query is the default on DuckDB too: measured on 2M rows and 13 checks
    (benchmarks/bench_checks.py), in-scan ARG_MIN samples cost ~1.5x the scan itself, while a
    UNION ALL of `LIMIT n` branches over the failing checks stops early and takes ~30 ms. Its worst
    case is a rare defect (fewer than n failing rows) on a huge table, where that branch reads the
    whole batch; `inline_samples=True` bounds that case to the one scan."""
    d = sqlglot_dialect(dialect)
    types = dict(column_types or {})
    ctx = SqlContext(d, types)
    wanted = set(only) if only is not None else None
    specs = [s for s in suite.checks if wanted is None or s.id in wanted]
    plan = Plan(suite.dataset, d, [], {}, {})
    batch_column = suite.batch_column if batch else None
    src = source(suite.dataset, suite.schema, batch_column)
    keys = sample_key(suite, types)
    key_expr = (
        familysql.concat_key(ctx, [col(k) for k in keys])
        if keys
        else exp.Cast(this=exp.Null(), to=ctx.sql_type("text"))
    )

    by_family: dict[str, dict[str, list[str]]] = defaultdict(dict)  # family -> metric id -> check ids
    for spec in specs:
        roles = {}
        for role, m in spec.metrics().items():
            plan.metrics[m.id] = m
            roles[role] = m.id
            by_family[m.family].setdefault(m.id, []).append(spec.id)
        plan.check_metrics[spec.id] = roles

    flags = _Flags(d)
    agg_cols: list[tuple[exp.Expr, str | None, str | None]] = []  # (expr, metric id, sample check)
    for mid, check_ids in by_family.get("aggregate", {}).items():
        try:
            agg_cols.append((exp.alias_(_aggregate(ctx, plan.metrics[mid], flags), f"m_{mid}", copy=False), mid, None))
        except ChecksError as e:
            for cid in check_ids:
                plan.errors.setdefault(cid, e.message)
    if samples:
        for i, spec in enumerate(specs):
            pred = spec.failure()
            if pred is None or spec.id in plan.errors or spec.sample_limit <= 0:
                continue
            value_col = getattr(spec.check, "sample_column", None)
            if not value_col:
                continue
            try:
                cond = predicate(ctx, pred)
                value = familysql.text(col(value_col), ctx)
                if d == "duckdb" and inline_samples:
                    cond = flags(cond)
                    order = col(keys[0]) if keys else col(value_col)
                    s = _arg_min(key_expr, value, order, spec.sample_limit, cond)
                    agg_cols.append((exp.alias_(s, f"s_{i}"), None, spec.id))
                else:
                    units = (
                        exp.select(exp.alias_(key_expr.copy(), "k", copy=False), exp.alias_(value, "v", copy=False))
                        .from_(src.copy(), copy=False)
                        .where(cond, copy=False)
                    )
                    plan.sample_sources[spec.id] = (units, spec.sample_limit)
            except ChecksError as e:
                plan.errors.setdefault(spec.id, e.message)
    if agg_cols:
        limit = max_statement_chars or _MAX_CHARS[d]
        scan = flags.source(src) if d == "duckdb" else src
        plan.statements.extend(_split_aggregate(agg_cols, scan, d, plan, by_family.get("aggregate", {}), limit))

    for family in FAMILY_ORDER[1:]:
        metric_ids = by_family.get(family)
        if metric_ids:
            stmt = _family_statement(ctx, family, metric_ids, plan, src, key_expr, specs, samples)
            if stmt:
                plan.statements.append(stmt)
    return plan


def _arg_min(key: exp.Expr, value: exp.Expr, order: exp.Expr, n: int, cond: exp.Expr) -> exp.Expr:
    struct = exp.Struct(
        expressions=[
            exp.PropertyEQ(this=exp.to_identifier("k"), expression=key.copy()),
            exp.PropertyEQ(this=exp.to_identifier("v"), expression=value),
        ]
    )
    call = exp.Anonymous(this="ARG_MIN", expressions=[struct, order, exp.Literal.number(n)])
    return exp.Filter(this=call, expression=exp.Where(this=cond))


class _Flags:
    """On DuckDB every row condition becomes a boolean column computed once per row, which the
    count and the in-scan sample of a check both filter on: DuckDB does not share a predicate between
    two FILTER clauses, so without this an in-scan sample evaluates every predicate (a regex...) twice."""

    def __init__(self, dialect: str) -> None:
        self.enabled = dialect == "duckdb"
        self.conditions: dict[exp.Expr, tuple[str, exp.Expr]] = {}  # keyed by tree (sqlglot hashes trees)

    def __call__(self, condition: exp.Expr) -> exp.Expr:
        if not self.enabled:
            return condition
        if condition not in self.conditions:
            self.conditions[condition] = (f"_f{len(self.conditions)}", condition)
        return exp.column(self.conditions[condition][0])

    def source(self, src: exp.Expr) -> exp.Expr:
        if not self.conditions:
            return src
        cols = [exp.alias_(c, name, copy=False) for name, c in self.conditions.values()]
        return exp.select(exp.Star(), *cols, copy=False).from_(src.copy(), copy=False).subquery("src", copy=False)


def _aggregate(ctx: SqlContext, m: Metric, flags: _Flags) -> exp.Expr:
    if m.kind == "row_count":
        return exp.Count(this=exp.Star())
    if m.kind == "count_if":
        assert m.predicate is not None
        return _count_if(ctx, flags(predicate(ctx, m.predicate)))
    if m.kind == "count_present":
        assert m.column is not None
        return _count_if(ctx, flags(present(ctx, m.column)))
    funcs = {
        "min": exp.Min,
        "max": exp.Max,
        "sum": exp.Sum,
        "avg": exp.Avg,
        "median": exp.Median,
        "stddev": exp.StddevSamp,
    }
    if m.kind == "median" and ctx.dialect == "tsql":
        raise CompileError("median is not an aggregate in T-SQL (PERCENTILE_CONT is a window function there)")
    if m.kind == "count_distinct" and m.column:
        value = read_as(ctx, m.column, m.as_type or "text")
        distinct: exp.Expr = exp.Count(this=exp.Distinct(expressions=[value]))
        if m.predicate is not None:
            return exp.Filter(this=distinct, expression=exp.Where(this=flags(predicate(ctx, m.predicate))))
        return distinct
    if m.kind in funcs and m.column:
        value = read_as(ctx, m.column, m.as_type or "number")
        if m.kind == "stddev" and ctx.dialect == "tsql":
            agg: exp.Expr = exp.Anonymous(this="STDEV", expressions=[value])
        else:
            agg = funcs[m.kind](this=value)
        if m.predicate is not None:
            return exp.Filter(this=agg, expression=exp.Where(this=flags(predicate(ctx, m.predicate))))
        return agg
    raise CompileError(f"aggregate metric kind {m.kind!r} is not known", code="unknown_metric")


def _count_if(ctx: SqlContext, condition: exp.Expr) -> exp.Expr:
    """Rows where `condition` holds. DuckDB's COUNT_IF over a flag column is ~8% cheaper per scan than
    COUNT(*) FILTER (measured at 2M rows, 13 checks); elsewhere COUNT(*) FILTER / CASE as the dialect has it."""
    if ctx.dialect == "duckdb":
        return exp.CountIf(this=condition)
    return exp.Filter(this=exp.Count(this=exp.Star()), expression=exp.Where(this=condition))


def _split_aggregate(
    cols: list[tuple[exp.Expr, str | None, str | None]],
    src: exp.Expr,
    d: str,
    plan: Plan,
    agg_checks: Mapping[str, list[str]],
    max_chars: int,
) -> list[Statement]:
    """One SELECT for all aggregate columns, split into several only above the dialect's length limit."""
    whole = exp.select(*(c[0] for c in cols), copy=False).from_(src.copy(), copy=False)
    sql = render(whole, d)
    chunks: list[list[tuple[exp.Expr, str | None, str | None]]] = [[]]
    if len(sql) <= max_chars:  # the usual case: one statement, rendered once
        chunks = [list(cols)]
    else:
        limit = max_chars - len(src.sql(dialect=d)) - 100  # room for SELECT ... FROM <batch>
        size = 0
        for c in cols:
            n = len(c[0].sql(dialect=d))
            if chunks[-1] and size + n > limit:
                chunks.append([])
                size = 0
            chunks[-1].append(c)
            size += n
    out = []
    for chunk in chunks:
        if len(chunks) > 1:
            sql = render(exp.select(*(c[0].copy() for c in chunk), copy=False).from_(src.copy(), copy=False), d)
        checks = sorted(
            {cid for _, mid, _ in chunk if mid for cid in agg_checks.get(mid, [])} | {cid for _, _, cid in chunk if cid}
        )
        out.append(
            Statement(
                "aggregate",
                sql,
                outputs=tuple((f"m_{mid}", mid) for _, mid, _ in chunk if mid),
                samples=tuple((c[0].alias, cid) for c in chunk for cid in [c[2]] if cid),
                check_ids=tuple(checks),
            )
        )
    return out


def _family_statement(
    ctx: SqlContext,
    family: str,
    metric_ids: Mapping[str, list[str]],
    plan: Plan,
    src: exp.Expr,
    key_expr: exp.Expr,
    specs: list[CheckSpec],
    samples: bool,
) -> Statement | None:
    # Metrics of one query share a group: same family, query name and options -> one unit relation.
    groups: dict[tuple[str, Any], list[str]] = defaultdict(list)
    for mid in metric_ids:
        m = plan.metrics[mid]
        groups[(m.kind.split(".")[0], m.options)].append(mid)
    limits = {s.id: s.sample_limit for s in specs}
    parts: list[exp.Expr] = []
    outputs: list[tuple[str, str]] = []
    sample_cols: list[tuple[str, str]] = []
    involved: set[str] = set()
    for gi, ((query, _), mids) in enumerate(groups.items()):
        m0 = plan.metrics[mids[0]]
        checks = sorted({cid for mid in mids for cid in metric_ids[mid]})
        try:
            units = _units(ctx, family, query, src, m0, key_expr)
        except (ChecksError, ValueError) as e:
            for cid in checks:
                plan.errors.setdefault(cid, getattr(e, "message", str(e)))
            continue
        involved.update(checks)
        alias = f"g{gi}"
        cols: list[exp.Expr] = []
        for mid in mids:
            out = plan.metrics[mid].kind.split(".", 1)[1]
            cols.append(exp.alias_(exp.Sum(this=exp.column(out, "u")), f"{alias}_{out}"))
            outputs.append((f"{alias}_{out}", mid))
        if samples and units.failed:
            n = max(limits.get(cid, 20) for cid in checks)
            failing = exp.GT(this=exp.column(units.failed, "u"), expression=exp.Literal.number(0))
            # Family units are already grouped/joined rows: ARG_MIN over the failing ones costs little,
            # whereas a separate sample query would redo the grouping or the join.
            if ctx.dialect == "duckdb":
                k, v = units.sample_key(), units.sample_value()
                cols.append(exp.alias_(_arg_min(k, v, k.copy(), n, failing), f"{alias}_samples"))
                sample_cols.extend((f"{alias}_samples", cid) for cid in checks)
            else:
                for cid in checks:
                    sampled = exp.select(exp.alias_(units.sample_key(), "k"), exp.alias_(units.sample_value(), "v"))
                    plan.sample_sources[cid] = (
                        sampled.from_(units.select.subquery("u")).where(failing.copy()),
                        limits.get(cid, 20),
                    )
        parts.append(exp.select(*cols).from_(units.select.subquery("u")).subquery(alias))
    if not parts:
        return None
    q = exp.select("*").from_(parts[0])
    for p in parts[1:]:
        q = q.join(p, join_type="cross")
    return Statement(
        family,
        render(q, ctx.dialect),
        outputs=tuple(outputs),
        samples=tuple(sample_cols),
        check_ids=tuple(sorted(involved)),
        read_only=family == "custom_sql",
        settings=PARALLEL_GROUPING if family == "duplicates" and ctx.dialect == "postgres" else (),
    )


def _units(ctx: SqlContext, family: str, query: str, src: exp.Expr, m: Metric, key_expr: exp.Expr) -> familysql.Units:
    if family == "duplicates":
        return familysql.duplicates(ctx, src, m)
    if family == "references":
        return familysql.references(ctx, src, m, key_expr)
    if family == "lookup":
        return familysql.LOOKUP_BUILDERS[query](ctx, src, m, key_expr)
    if family == "reconciliation":
        return familysql.reconciliation(ctx, m)
    if family == "custom_sql":
        return familysql.custom_sql(ctx, m)
    if family == "vee":
        return veesql.BUILDERS[query](ctx, src, m)
    raise CompileError(f"unknown metric family {family!r}", code="unknown_metric")


def compile_samples(plan: Plan, check_ids: Iterable[str]) -> Statement | None:
    """One bounded query for the failed-row samples of `check_ids` (PostgreSQL, T-SQL; DuckDB takes
    them inline). Each check contributes at most its sample limit of (k, v) rows."""
    selects = []
    for i, cid in enumerate(sorted(set(check_ids))):
        if cid not in plan.sample_sources:
            continue
        units, n = plan.sample_sources[cid]
        # no ORDER BY: LIMIT without a sort lets each branch stop at its n-th failing row
        # (copy=False: the builders would otherwise copy the growing tree at every step)
        bounded = exp.select("k", "v", copy=False).from_(units.subquery("f"), copy=False).limit(n, copy=False)
        branch = exp.select(exp.alias_(exp.Literal.string(cid), "check_id"), "k", "v", copy=False)
        selects.append(branch.from_(bounded.subquery(f"s{i}", copy=False), copy=False))
    if not selects:
        return None
    q: exp.Query = selects[0]
    for s in selects[1:]:
        q = exp.union(q, s, distinct=False, copy=False)
    return Statement("samples", render(q, plan.dialect), check_ids=tuple(sorted(set(check_ids))))
