"""What runs on both databases: the hand-written single scan (floor), UtilityFlow native, GX on pandas."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from bench_checks import SUITE, floor_sql

from checks.suite import parse_suite
from monitor.runner import run_suite
from peers.suite import CHECKS, gx_expectations
from peers.table import Row, median, medians


def floor_and_native_rows(engine: sa.Engine, runs: int) -> list[Row]:
    """The floor and native, their runs alternated (see `medians`): the ratio the targets are about."""
    floor, native = _floor(engine), _native(engine)
    (fs, fr), (ns, nr) = medians([floor, native], runs)
    return [_floor_row(fs, fr), _native_row(ns, nr)]


def _floor(engine: sa.Engine) -> Callable[[], Any]:
    sql = floor_sql(engine.dialect.name)

    def run() -> Any:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql)).one()

    return run


def _native(engine: sa.Engine) -> Callable[[], Any]:
    suite = parse_suite(SUITE)
    return lambda: run_suite(engine, suite)


def _floor_row(s: float, r: Any) -> Row:
    keys = ["rows", "email_present", "id_unique", "email_valid", "phone_valid", "zip_valid", "account_valid"]
    keys += ["state_valid", "tariff_valid", "kwh_range", "zip_len", "not_future", "phone_missing_rate", "kwh_mean"]
    counts = dict(zip(keys, r, strict=True))
    counts["id_unique"] = f"{counts['id_unique']} excess rows"
    counts["kwh_mean"] = round(float(counts["kwh_mean"]), 3)
    return Row("floor (hand-written single scan)", s, 1, counts)


def _native_row(s: float, run: Any) -> Row:
    counts: dict[str, Any] = {}
    for r in run.results:
        if r.check_id == "id_unique":
            m = r.metrics
            counts[r.check_id] = f"{m['duplicate_rows']} rows / {m['duplicate_keys']} keys / {m['excess_rows']} excess"
        elif r.check_id == "kwh_mean":
            counts[r.check_id] = round(float(r.observed), 3)
        else:
            counts[r.check_id] = r.rows_failed
    return Row("UtilityFlow native (samples on)", s, run.statements, counts)


def gx_pandas_row(engine: sa.Engine, runs: int, now: str) -> Row:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    import pandas as pd
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    with engine.connect() as conn:
        df = pd.read_sql(sa.text("SELECT * FROM bench_customer"), conn)
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    asset = ctx.data_sources.add_pandas("pd").add_dataframe_asset("df")
    batch = asset.add_batch_definition_whole_dataframe("all").get_batch(batch_parameters={"dataframe": df})
    exps = gx_expectations(now)
    suite = gx.ExpectationSuite(
        name="bench_pd",
        expectations=[
            ExpectationConfiguration(type=t, kwargs=k, meta={"uf_id": c}).to_domain_obj() for c, t, k in exps
        ],
    )
    s, res = median(
        lambda: batch.validate(suite, result_format={"result_format": "SUMMARY", "partial_unexpected_count": 20}), runs
    )
    return Row("GX 1.x (pandas, for scale)", s, "n/a (in memory)", _gx_counts(exps, res), "DataFrame load not timed")


def _gx_counts(exps: list[tuple[str, str, dict[str, Any]]], res: Any) -> dict[str, Any]:
    counts: dict[str, Any] = {}
    for r in res.results:  # GX does not keep the suite's order: map back through meta
        cid = r.expectation_config.meta["uf_id"]
        result = dict(r.result or {})
        error = _gx_error(r)
        if error:
            counts[cid] = f"error: {error[:60]}"
        elif cid == "kwh_mean":
            v = result.get("observed_value")
            counts[cid] = round(float(v), 3) if v is not None else f"none: {str(r.exception_info)[:200]}"
        elif cid == "id_unique":
            counts[cid] = f"{result.get('unexpected_count')} rows"
        else:
            counts[cid] = result.get("unexpected_count")
    return counts


def _gx_error(r: Any) -> str | None:
    """GX 1.x reports exceptions either flat or per metric in exception_info."""
    info = r.exception_info or {}
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for v in info.values():
        if isinstance(v, dict) and v.get("raised_exception"):
            return str(v.get("exception_message"))
    return None


def _soda_counts(results: dict[str, Any]) -> dict[str, Any]:
    counts: dict[str, Any] = {}
    for cid in CHECKS:
        v = (results.get(cid) or {}).get("diagnostics", {}).get("value")
        if cid == "id_unique":
            counts[cid] = f"{v} keys"
        elif cid == "kwh_mean":
            counts[cid] = round(float(v), 3) if v is not None else None
        elif cid == "phone_missing_rate":
            counts[cid] = f"{v}%"
        else:
            counts[cid] = int(v) if v is not None else None
    return counts
