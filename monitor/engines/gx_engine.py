"""Run GX expectations (the ones without a native translation) with Great Expectations 1.x itself.

GX supports the warehouse through its SQL datasource on PostgreSQL. On DuckDB, GX 1.x's SQL datasource
returns empty results through SQLAlchemy, so those checks are refused with that reason (never silently
passed). The batch is a query asset (`SELECT * FROM t WHERE batch = :b`), so GX judges the same rows as
the native checks.
"""

from __future__ import annotations

import json
import os
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from checks.results import CheckResult, Outcome, Sample
from checks.spec import CheckSpec, Suite
from monitor.engines import PeerUnavailable, external, peer_error, peer_result, plain


def run_gx(
    engine: Engine, suite: Suite, specs: list[CheckSpec], *, batch_id: Any, batched: bool
) -> dict[str, CheckResult]:
    """One GX validation of all `specs` on the suite's dataset (and batch)."""
    if engine.dialect.name != "postgresql":
        raise PeerUnavailable(
            f"Great Expectations does not run on {engine.dialect.name} here (GX 1.x's SQL datasource returns "
            "empty results on DuckDB through SQLAlchemy); translate the expectation or run on PostgreSQL"
        )
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    try:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig
        from great_expectations.expectations.expectation_configuration import ExpectationConfiguration
    except ImportError as e:
        raise PeerUnavailable(f"great_expectations is not installed ({e}); pip install 'utilityflow[gx]'") from None
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    url = engine.url.render_as_string(hide_password=False)
    with engine.connect() as conn:
        schema = suite.schema or conn.execute(sa.text("SELECT current_schema()")).scalar_one()
    ds = ctx.data_sources.add_postgres("uf", connection_string=url)
    asset: Any
    if batched:  # GX judges exactly the batch's rows (a query asset has no column types: type checks error)
        where = f'"{suite.batch_column}" = {_literal(batch_id)}'
        asset = ds.add_query_asset("batch", query=f'SELECT * FROM "{schema}"."{suite.dataset}" WHERE {where}')
    else:
        asset = ds.add_table_asset("table", table_name=suite.dataset, schema_name=schema)
    batch = asset.add_batch_definition_whole_table("all").get_batch()
    out: dict[str, CheckResult] = {}
    expectations, ids = [], []
    for spec in specs:
        definition = json.loads(external(spec).definition)
        try:
            conf = ExpectationConfiguration(
                type=definition["type"], kwargs=definition.get("kwargs") or {}, meta={"uf_check_id": spec.id}
            )
            expectations.append(conf.to_domain_obj())
            ids.append(spec)
        except Exception as e:  # GX refuses the expectation itself: name it
            out[spec.id] = peer_error(spec, f"GX cannot build {definition.get('type')}: {type(e).__name__}: {e}")
    try:
        if expectations:
            suite_obj = gx.ExpectationSuite(name=f"uf_{suite.dataset}", expectations=expectations)
            limit = max(s.sample_limit for s in ids)
            fmt = {"result_format": "SUMMARY", "partial_unexpected_count": limit}
            res = batch.validate(suite_obj, result_format=fmt)
            by_id = {s.id: s for s in ids}
            for r in res.results:  # GX reorders results: map back through meta
                conf = r.expectation_config
                assert conf is not None and conf.meta is not None
                spec = by_id[conf.meta["uf_check_id"]]
                out[spec.id] = _normalise(spec, r)
    finally:
        ds.get_engine().dispose()
    return out


def _literal(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _normalise(spec: CheckSpec, r: Any) -> CheckResult:
    info = r.exception_info or {}
    if info.get("raised_exception"):
        return peer_error(spec, f"GX raised: {info.get('exception_message')}")
    result = plain(dict(r.result or {}))
    element, missing = result.get("element_count"), result.get("missing_count") or 0
    failed = result.get("unexpected_count")
    evaluated = element - missing if element is not None and failed is not None else None
    observed = result.get("observed_value", failed)
    samples = tuple(
        Sample(None, None if v is None else str(v))
        for v in (result.get("partial_unexpected_list") or [])[: spec.sample_limit]
    )
    status = Outcome.PASS if r.success else Outcome.FAIL
    what = f"{failed} of {evaluated} unexpected" if failed is not None else f"observed {observed}"
    return peer_result(
        spec,
        status,
        rows_evaluated=evaluated,
        rows_failed=failed,
        observed=observed if isinstance(observed, int | float | str) or observed is None else str(observed),
        message=f"GX {r.expectation_config.type}: {what}",
        samples=samples if status is Outcome.FAIL else (),
        metrics={
            k: v
            for k, v in result.items()
            if k in ("element_count", "unexpected_count", "missing_count", "observed_value")
        },
    )
