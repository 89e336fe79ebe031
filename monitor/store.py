"""Persist a suite run to the DQ mart: `dq_run`, `dim_check` (SCD2 on the definition), one row per
check in `fact_data_quality`, every measured metric in `fact_dq_metric` and the masked samples in
`fact_dq_error_event` — all in one transaction, so a run is stored entirely or not at all.

One `dq_run` row per invocation (a `utilityflow check`, one scheduler job): it spans every suite and
batch that invocation scored, so alerts can group a batch's failures into one message. The grain of
`fact_data_quality` is run x check version x stage x batch.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from checks.metrics import definition_hash
from checks.registry import DIMENSIONS
from checks.results import CheckResult
from checks.spec import CheckSpec, Suite
from monitor.runner import RunResult
from warehouse.schema import Table
from warehouse.schema.mart import (
    DIM_BATCH,
    DIM_CHECK,
    DIM_DATASET,
    DQ_RUN,
    FACT_DATA_QUALITY,
    FACT_DQ_ERROR_EVENT,
    FACT_DQ_METRIC,
)
from warehouse.schema.staging import FEEDS


def _core(t: Table) -> sa.TableClause:
    return sa.table(t.name, *(sa.column(c.name) for c in t.columns))


RUN, CHECK, FACT, METRIC, EVENT, DATASET, BATCH = map(
    _core, (DQ_RUN, DIM_CHECK, FACT_DATA_QUALITY, FACT_DQ_METRIC, FACT_DQ_ERROR_EVENT, DIM_DATASET, DIM_BATCH)
)


def store_run(engine: Engine, suite: Suite, run: RunResult, *, trigger: str = "cli") -> int:
    """Write one suite run as a run of its own; returns its run_id."""
    return store_runs(engine, [(suite, run)], trigger=trigger)


def store_runs(engine: Engine, items: list[tuple[Suite, RunResult]], *, trigger: str = "cli") -> int:
    """Write every suite x batch result of one invocation as ONE run, in one transaction (a crash leaves
    no half-written run); returns its run_id."""
    now = _naive(datetime.now(UTC))
    started = min((_naive(run.started_at) for _, run in items), default=now)
    with engine.begin() as conn:
        run_id = _insert_returning(
            conn,
            RUN,
            "run_id",
            {
                "started_at": started,
                "finished_at": now,
                "trigger": trigger,
                "statements": sum(run.statements for _, run in items),
                "checks_run": sum(len(run.results) for _, run in items),
                "status": "done",
                "code_version": None,
            },
        )
        batches = _batches(conn, {run.batch_id for _, run in items if run.batch_id is not None})
        datasets: dict[tuple[str, str], int] = {}
        for suite, run in items:
            batch = batches.get(run.batch_id) if run.batch_id is not None else None
            source = batch[0] if batch else dataset_source(suite.dataset)
            key = (suite.dataset, suite.stage)
            if key not in datasets:
                datasets[key] = upsert_dataset(conn, suite, source, now)
            _store_suite_run(conn, run_id, suite, run, now, datasets[key], source, batch[1] if batch else None)
    return run_id


def dataset_source(dataset: str) -> str | None:
    """The source system of a staging or cleansed dataset (`stg_<feed>`, `cln_<feed>`); None otherwise."""
    for prefix in ("stg_", "cln_"):
        if dataset.startswith(prefix) and dataset[len(prefix):] in FEEDS:
            return FEEDS[dataset[len(prefix):]].source
    return None


def _batches(conn: Connection, ids: set[int]) -> dict[int, tuple[str | None, int | None]]:
    """batch id -> (source, business date key): the day the delivery's extract window starts."""
    if not ids:  # dim_batch is part of the DQ mart (migration 003), so it exists wherever facts are stored
        return {}
    rows = conn.execute(
        sa.select(BATCH.c.batch_id, BATCH.c.source, BATCH.c.extract_from).where(BATCH.c.batch_id.in_(sorted(ids)))
    )
    return {int(b): (s, int(d.strftime("%Y%m%d")) if d is not None else None) for b, s, d in rows}


def upsert_dataset(conn: Connection, suite: Suite, source: str | None, now: datetime) -> int:
    """The dataset's dim_dataset key, its owner, Slack channel and source brought up to date."""
    where = sa.and_(DATASET.c.dataset_name == suite.dataset, DATASET.c.stage == suite.stage)
    values = {
        "source": source,
        "owner": _cut(suite.owner, 64),
        "slack_channel": _cut(suite.slack_channel, 80),
        "updated_at": now,
    }
    key = conn.execute(sa.select(DATASET.c.dataset_key).where(where)).scalar()
    if key is not None:
        conn.execute(sa.update(DATASET).where(DATASET.c.dataset_key == key).values(**values))
        return int(key)
    row = {"dataset_name": suite.dataset, "stage": suite.stage, "description": None, **values}
    return _insert_returning(conn, DATASET, "dataset_key", row)


def _store_suite_run(
    conn: Connection,
    run_id: int,
    suite: Suite,
    run: RunResult,
    now: datetime,
    dataset_key: int,
    source: str | None,
    business_date_key: int | None,
) -> None:
    measured_at = _naive(run.started_at)
    # a batch is dated by its business date (the delivery's extract day), a whole table by the run's day
    date_key = business_date_key or int(measured_at.strftime("%Y%m%d"))
    facts: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for result in run.results:
        spec = suite.check(result.check_id)
        check_key = current_check_key(conn, suite, spec, now)
        fact = _fact(run_id, check_key, suite, run, result, date_key, measured_at)
        facts.append(fact | {"dataset_key": dataset_key, "source": source})
        events.extend(
            {
                "run_id": run_id,
                "check_key": check_key,
                "check_id": result.check_id,
                "batch_id": run.batch_id,
                "stage": run.stage,
                "sample_no": i,
                "row_key": _cut(s.key, 400),
                "column_name": _cut(",".join(result.columns), 256),
                "offending_value": _cut(s.value, 400),
                "measured_at": measured_at,
            }
            for i, s in enumerate(result.samples, 1)
        )
    if facts:
        conn.execute(sa.insert(FACT), facts)
    metrics = [
        {
            "run_id": run_id,
            "metric_hash": definition_hash(m.metric),
            "metric_name": _cut(m.name, 64),
            "dataset_name": suite.dataset,
            "stage": run.stage,
            "column_name": _cut(m.column, 256),
            "batch_id": run.batch_id,
            "date_key": date_key,
            "value": _number(m.value),
            "measured_at": measured_at,
        }
        for m in run.measured
    ]
    if metrics:
        conn.execute(sa.insert(METRIC), metrics)
    if events:
        conn.execute(sa.insert(EVENT), events)


def current_check_key(conn: Connection, suite: Suite, spec: CheckSpec, now: datetime) -> int:
    """The check's current dim_check version; a changed definition closes it and opens the next."""
    return current_check_version(
        conn,
        {
            "check_id": spec.id,
            "dataset_name": suite.dataset,
            "stage": suite.stage,
            "check_type": spec.type,
            "column_name": _cut(",".join(spec.check.columns()), 256),
            "dimension_name": spec.dimension,
            "severity": spec.severity,
            "owner": suite.owner,
            "definition_json": spec.definition_json,
            "definition_hash": spec.definition_hash,
            "suite_file": _cut(suite.file, 400),
        },
        now,
    )


def current_check_version(conn: Connection, check: dict[str, Any], now: datetime) -> int:
    """dim_check as SCD2 on the definition: the current version's key when `check["definition_hash"]`
    is unchanged, else close that version and open the next. `check` holds dim_check's descriptive
    columns (check_id, dataset_name, stage, check_type, column_name, dimension_name, severity, owner,
    definition_json, definition_hash, suite_file)."""
    where = sa.and_(
        CHECK.c.check_id == check["check_id"],
        CHECK.c.dataset_name == check["dataset_name"],
        CHECK.c.stage == check["stage"],
        CHECK.c.is_current == sa.true(),
    )
    row = conn.execute(sa.select(CHECK.c.check_key, CHECK.c.version, CHECK.c.definition_hash).where(where)).first()
    if row is not None and row.definition_hash == check["definition_hash"]:
        return int(row.check_key)
    version = 1
    if row is not None:
        conn.execute(
            sa.update(CHECK).where(CHECK.c.check_key == row.check_key).values(effective_to=now, is_current=False)
        )
        version = int(row.version) + 1
    values = {**check, "version": version, "effective_from": now, "effective_to": None, "is_current": True}
    return _insert_returning(conn, CHECK, "check_key", values)


def _fact(
    run_id: int, check_key: int, suite: Suite, run: RunResult, r: CheckResult, date_key: int, measured_at: datetime
) -> dict[str, Any]:
    warn, fail = _thresholds(r.thresholds)
    return {
        "run_id": run_id,
        "check_key": check_key,
        "check_id": r.check_id,
        "dataset_key": None,
        "dataset_name": suite.dataset,
        "stage": run.stage,
        "batch_id": run.batch_id,
        "source": None,
        "dimension_key": DIMENSIONS.index(r.dimension) + 1,
        "dimension_name": r.dimension,
        "severity": r.severity,
        "date_key": date_key,
        "rows_evaluated": r.rows_evaluated,
        "rows_failed": r.rows_failed,
        "observed_value": _number(r.observed),
        "threshold_warn": warn,
        "threshold_fail": fail,
        "expected_low": None,
        "expected_high": None,
        "status": r.status.value,
        "score": r.score,
        "message": _cut(r.message, 2000),
        "execution_ms": None,
        "measured_at": measured_at,
    }


def _thresholds(t: dict[str, Any]) -> tuple[float | None, float | None]:
    for key in ("pass_rate", "max_failed"):
        if key in t:
            return _number(t[key].get("warn")), _number(t[key].get("fail"))
    return None, None


def _insert_returning(conn: Connection, table: sa.TableClause, key: str, values: dict[str, Any]) -> int:
    if conn.dialect.name == "mssql":  # Synapse has no OUTPUT/RETURNING; one writer per run is assumed
        conn.execute(sa.insert(table).values(**values))
        return int(conn.execute(sa.select(sa.func.max(table.c[key]))).scalar_one())
    return int(conn.execute(sa.insert(table).values(**values).returning(table.c[key])).scalar_one())


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, int | float | Decimal):
        return float(v)
    if isinstance(v, datetime):  # freshness: seconds since the epoch, so lag history can be learned
        return (v if v.tzinfo else v.replace(tzinfo=UTC)).timestamp()
    if isinstance(v, date):
        return float(v.toordinal())
    return None


def _naive(ts: datetime) -> datetime:
    return ts.astimezone(UTC).replace(tzinfo=None)


def _cut(text: str | None, n: int) -> str | None:
    return None if text is None else text[:n]
