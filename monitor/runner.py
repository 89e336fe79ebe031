"""Run a parsed suite against a warehouse for one batch (or the whole table) and judge the results.

The runner owns every side effect the pure `checks` package avoids: it reads the catalogue, validates
the suite's columns against the real table before anything runs, executes the compiled statements
(counting each one), isolates a broken check so the others still run, evaluates, masks samples and
scores.

    result = run_suite(engine, load_suite("checks/suites/cis_customer.raw.yml"), batch_id=42)
    result.statements      # queries issued for the data
    result.results[0].status, result.scores.batch
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from checks.compile import Plan, Statement, compile_samples, compile_suite, sample_key
from checks.errors import Problem, SuiteError
from checks.masking import mask, neutralise_formula, pii_kind
from checks.metrics import Metric, predicate_columns
from checks.registry import EvalContext, suggest
from checks.results import CheckResult, Evaluation, Outcome, Sample
from checks.scores import Scores, batch_scores
from checks.spec import CheckSpec, Suite, error_result, judge
from monitor.errors import MonitorError
from warehouse.dialects import dialect_of_engine

CONTROL_COLUMNS = ("batch_id", "source_row_number")
CUSTOM_SQL_TIMEOUT_MS = 60_000


@dataclass(frozen=True)
class MeasuredMetric:
    """One measured value (the history anomaly detection learns from), by its definition hash."""

    metric: Metric
    value: Any

    @property
    def name(self) -> str:
        return self.metric.kind

    @property
    def column(self) -> str | None:
        if self.metric.column:
            return self.metric.column
        cols = predicate_columns(self.metric.predicate) if self.metric.predicate else ()
        return ",".join(dict.fromkeys(cols or tuple(self.metric.option("keys") or ()))) or None


@dataclass(frozen=True)
class StatementRun:
    family: str
    sql: str
    ms: float
    error: str | None = None


@dataclass
class RunResult:
    """What one suite run on one batch produced. Samples inside `results` are already masked."""

    dataset: str
    stage: str
    batch_id: Any
    dialect: str
    results: list[CheckResult]
    scores: Scores
    statements: int  # data queries issued (catalogue reads are counted in metadata_queries)
    metadata_queries: int
    log: list[StatementRun] = field(default_factory=list)
    measured: list[MeasuredMetric] = field(default_factory=list)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    duration_ms: float = 0.0

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if r.status in (Outcome.FAIL, Outcome.WARN)]

    def to_dict(self) -> dict[str, Any]:
        common = {"dataset": self.dataset, "stage": self.stage, "batch_id": self.batch_id}
        return {
            **common,
            "dialect": self.dialect,
            "statements": self.statements,
            "metadata_queries": self.metadata_queries,
            "duration_ms": round(self.duration_ms, 1),
            "scores": self.scores.to_dict(),
            "results": [{**common, **r.to_dict()} for r in self.results],
        }


class DatasetNotFound(MonitorError):
    code = "dataset_not_found"
    exit_code = 3


_INFO_COLUMNS = sa.table(
    "columns",
    sa.column("table_schema"),
    sa.column("table_name"),
    sa.column("column_name"),
    sa.column("data_type"),
    sa.column("ordinal_position"),
    schema="information_schema",
)
_INFO_TABLES = sa.table("tables", sa.column("table_schema"), sa.column("table_name"), schema="information_schema")


def _current_schema(dialect: str) -> sa.ColumnElement[Any]:
    return sa.func.schema_name() if dialect == "mssql" else sa.func.current_schema()


def table_columns(conn: Connection, dataset: str, schema: str | None) -> dict[str, str]:
    """Column name -> database type of a table or view, from information_schema (the same query on
    DuckDB, PostgreSQL and SQL Server); DatasetNotFound with a suggestion if absent."""
    if "." in dataset:
        schema, dataset = dataset.split(".", 1)
    in_schema = (
        (_INFO_COLUMNS.c.table_schema == schema)
        if schema
        else (_INFO_COLUMNS.c.table_schema == _current_schema(conn.dialect.name))
    )
    q = (
        sa.select(_INFO_COLUMNS.c.column_name, _INFO_COLUMNS.c.data_type)
        .where(_INFO_COLUMNS.c.table_name == dataset, in_schema)
        .order_by(_INFO_COLUMNS.c.ordinal_position)
    )
    cols = {str(name): str(typ) for name, typ in conn.execute(q)}
    if not cols:
        t_schema = (
            (_INFO_TABLES.c.table_schema == schema)
            if schema
            else (_INFO_TABLES.c.table_schema == _current_schema(conn.dialect.name))
        )
        names = [str(n) for (n,) in conn.execute(sa.select(_INFO_TABLES.c.table_name).where(t_schema))]
        raise DatasetNotFound(f"dataset {dataset!r} not found in the warehouse{suggest(dataset, names)}")
    conn.rollback()
    return cols


def table_exists(conn: Connection, name: str, schema: str | None) -> bool:
    """Whether a table or view exists (in `schema`, or the connection's current schema)."""
    in_schema = (
        (_INFO_TABLES.c.table_schema == schema)
        if schema
        else (_INFO_TABLES.c.table_schema == _current_schema(conn.dialect.name))
    )
    q = sa.select(sa.func.count()).select_from(_INFO_TABLES).where(_INFO_TABLES.c.table_name == name, in_schema)
    return bool(conn.execute(q).scalar())


def validate_columns(suite: Suite, columns: Mapping[str, str]) -> list[Problem]:
    """Every column a check names must exist in the table: a problem per unknown column, with a suggestion."""
    problems = []
    for spec in suite.checks:
        where_columns = predicate_columns(spec.where) if spec.where is not None else ()
        for c in (*spec.check.columns(), *where_columns):
            if c not in columns:
                problems.append(
                    Problem(
                        "unknown_column",
                        f"check {spec.id!r}: unknown column {c!r} in {suite.dataset}{suggest(c, columns)}",
                        spec.file,
                        spec.line,
                    )
                )
    for c in suite.keys:
        if c not in columns:
            problems.append(
                Problem(
                    "unknown_column",
                    f"keys: unknown column {c!r} in {suite.dataset}{suggest(c, columns)}",
                    suite.file,
                    None,
                )
            )
    return problems


def run_suite(
    engine: Engine,
    suite: Suite,
    *,
    batch_id: Any = None,
    now: datetime | None = None,
    samples: bool = True,
    inline_samples: bool = False,
) -> RunResult:
    """Run `suite` on one batch (`batch_id`, bound as a parameter) or, when the table has no batch
    column or no batch is given, on the whole table. Raises SuiteError (unknown columns) or
    DatasetNotFound before any data query; errors of single checks become `error` results.
    `inline_samples` (DuckDB) takes samples inside the one scan (see `checks.compile.compile_suite`)."""
    started, t0 = datetime.now(UTC), time.perf_counter()
    dialect = engine.dialect.name
    with engine.connect() as conn:
        columns = table_columns(conn, suite.dataset, suite.schema)
        problems = validate_columns(suite, columns)
        if problems:
            raise SuiteError(problems)
        batched = batch_id is not None and suite.batch_column in columns
        params = {"batch_id": batch_id} if batched else {}
        limit = dialect_of_engine(dialect).max_statement_chars
        plan = compile_suite(
            suite,
            dialect,
            column_types=columns,
            batch=batched,
            samples=samples,
            max_statement_chars=limit,
            inline_samples=inline_samples,
        )
        ex = _Executor(conn, params, dialect)
        values, inline, errors = _measure(ex, plan, suite, columns, batched, samples)
        ctx = EvalContext(now=now or started, table_columns=columns)
        evaluations: dict[str, Evaluation] = {}
        results: dict[str, CheckResult] = {}
        for spec in suite.checks:
            if spec.id in errors:
                results[spec.id] = error_result(spec, errors[spec.id])
                continue
            try:
                roles = {role: values[mid] for role, mid in plan.check_metrics[spec.id].items()}
                evaluations[spec.id] = spec.check.evaluate(roles, ctx)
                results[spec.id] = judge(spec, evaluations[spec.id])
            except Exception as e:  # a check's own bug must not stop the others
                results[spec.id] = error_result(spec, f"evaluation failed: {type(e).__name__}: {e}")
        failing = [cid for cid, r in results.items() if r.status in (Outcome.FAIL, Outcome.WARN)]
        fetched = dict(inline)
        if samples and failing and plan.sample_sources:
            stmt = compile_samples(plan, [c for c in failing if c not in inline])
            if stmt is not None:
                rows, err = ex.run(stmt)
                for row in rows or []:
                    fetched.setdefault(row["check_id"], []).append({"k": row["k"], "v": row["v"]})
        for cid in failing:
            spec = suite.check(cid)
            found = _masked(spec, suite, fetched.get(cid) or [], columns)
            results[cid] = judge(spec, evaluations[cid], found)
    external = [s for s in suite.checks if s.type == "external"]
    if external:  # GX / Soda run what has no native translation (imported lazily: they are heavy)
        from monitor.engines import run_external

        peer = run_external(engine, suite, external, batch_id=batch_id if batched else None, batched=batched)
        results.update({cid: _mask_peer(suite.check(cid), suite, r) for cid, r in peer.items()})
    ordered = [results[s.id] for s in suite.checks]
    data_columns = [c for c in columns if c not in CONTROL_COLUMNS and c != suite.batch_column]
    return RunResult(
        dataset=suite.dataset,
        stage=suite.stage,
        batch_id=batch_id if batched else None,
        dialect=dialect,
        results=ordered,
        scores=batch_scores(ordered, table_columns=data_columns),
        statements=ex.count,
        metadata_queries=1,
        log=ex.log,
        measured=[MeasuredMetric(plan.metrics[m], v) for m, v in values.items() if m in plan.metrics],
        started_at=started,
        duration_ms=(time.perf_counter() - t0) * 1000,
    )


class _Executor:
    """Runs statements one transaction each (an error never poisons the next), counting them."""

    def __init__(self, conn: Connection, params: dict[str, Any], dialect: str) -> None:
        self.conn, self.params, self.dialect = conn, params, dialect
        self.count = 0
        self.log: list[StatementRun] = []

    def run(self, stmt: Statement) -> tuple[list[dict[str, Any]] | None, str | None]:
        self.count += 1
        t0 = time.perf_counter()
        tx = self.conn.begin()
        try:
            if stmt.read_only:
                self._read_only()
            if self.dialect == "postgresql":
                for name, value in stmt.settings:  # constants of checks.compile, never user input
                    self.conn.exec_driver_sql(f"SET LOCAL {name} = {value}")
            result = self.conn.execute(sa.text(stmt.sql), self.params if ":batch_id" in stmt.sql else {})
            rows = [dict(r._mapping) for r in result]
        except Exception as e:
            tx.rollback()
            msg = _first_line(e)
            self.log.append(StatementRun(stmt.family, stmt.sql, (time.perf_counter() - t0) * 1000, msg))
            return None, msg
        # user SQL is rolled back, so even a side effect the parser missed does not persist
        tx.rollback() if stmt.read_only else tx.commit()
        self.log.append(StatementRun(stmt.family, stmt.sql, (time.perf_counter() - t0) * 1000))
        return rows, None

    def _read_only(self) -> None:
        if self.dialect == "postgresql":
            self.conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            self.conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(CUSTOM_SQL_TIMEOUT_MS)}")


def _first_line(e: BaseException) -> str:
    text = str(getattr(e, "orig", None) or e).strip().splitlines()
    return f"{type(getattr(e, 'orig', None) or e).__name__}: {text[0] if text else ''}"


def _measure(
    ex: _Executor, plan: Plan, suite: Suite, columns: Mapping[str, str], batched: bool, samples: bool
) -> tuple[dict[str, Any], dict[str, list[Any]], dict[str, str]]:
    values: dict[str, Any] = {}
    inline: dict[str, list[Any]] = {}
    errors = dict(plan.errors)
    for stmt in plan.statements:
        rows, err = ex.run(stmt)
        if rows is not None:
            _collect(stmt, rows[0] if rows else {}, values, inline)
            continue
        if len(stmt.check_ids) == 1:
            errors.setdefault(stmt.check_ids[0], f"query failed: {err}")
            continue
        # Several checks share the statement: re-run check by check to find the broken one(s).
        for cid in stmt.check_ids:
            solo = compile_suite(suite, plan.dialect, column_types=columns, batch=batched, samples=samples, only=[cid])
            for s in solo.statements:
                if s.family != stmt.family:
                    continue
                r, e = ex.run(s)
                if r is None:
                    errors.setdefault(cid, f"query failed: {e}")
                else:
                    _collect(s, r[0] if r else {}, values, inline)
    return values, inline, errors


def _collect(stmt: Statement, row: Mapping[str, Any], values: dict[str, Any], inline: dict[str, list[Any]]) -> None:
    for column, mid in stmt.outputs:
        values[mid] = row.get(column)
    for column, cid in stmt.samples:
        if row.get(column):
            inline[cid] = list(row[column])


def _masked(spec: CheckSpec, suite: Suite, rows: list[Any], columns: Mapping[str, str]) -> tuple[Sample, ...]:
    declared = dict(suite.pii)
    value_kind = None
    value_col = getattr(spec.check, "sample_column", None)
    if value_col:
        value_kind = pii_kind(value_col, declared)
    elif spec.type in ("unique", "references"):
        keys = spec.check.columns()
        value_kind = pii_kind(keys[0], declared) if len(keys) == 1 else None
    key_kinds = [pii_kind(k, declared) for k in sample_key(suite, columns)]
    out = []
    for row in rows[: spec.sample_limit]:
        k, v = row.get("k"), row.get("v")
        if k is not None and any(key_kinds):
            parts = str(k).split("|")
            k = "|".join(mask(kind, p) if kind else p for kind, p in zip(key_kinds, parts, strict=False))  # type: ignore[misc]
        if spec.type == "unique" and value_kind:
            k = mask(value_kind, k)
        elif v is not None and value_kind:
            v = mask(value_kind, str(v))
        out.append(Sample(neutralise_formula(None if k is None else str(k)),
                          neutralise_formula(None if v is None else str(v))))
    return tuple(out)


def _mask_peer(spec: CheckSpec, suite: Suite, result: CheckResult) -> CheckResult:
    """A peer's failed values are masked like native samples: by the expectation's column when it names
    one, and entirely when it does not but the suite declares PII columns."""
    if not result.samples:
        return result
    import dataclasses
    import json

    try:
        column = (json.loads(getattr(spec.check, "definition", "{}")).get("kwargs") or {}).get("column")
    except (ValueError, AttributeError):
        column = None
    declared = dict(suite.pii)
    kind = pii_kind(column, declared) if column else ("name" if declared else None)
    if not kind:
        return result
    masked = tuple(Sample(s.key, None if s.value is None else mask(kind, s.value)) for s in result.samples)
    return dataclasses.replace(result, samples=masked)
