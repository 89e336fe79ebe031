"""PostgreSQL: Soda Core 3 (soda-core-postgres, samples on and off) and GX 1.x's SQL datasource."""

from __future__ import annotations

import os
from typing import Any

import sqlalchemy as sa

from peers.common import _gx_counts, _soda_counts
from peers.suite import gx_expectations, sodacl
from peers.table import Row, median


def soda_rows(engine: sa.Engine, runs: int, now: str) -> list[Row]:
    from monitor.engines.soda_engine import data_source_config, telemetry_off

    telemetry_off()
    from soda.scan import Scan

    with engine.connect() as conn:
        schema = conn.execute(sa.text("SELECT current_schema()")).scalar_one()
    out = []
    for samples in (True, False):
        source = data_source_config(engine, schema)
        if not samples:
            source["sampler"] = {"disable_samples": True}
        text = sodacl(now, samples)

        def run(source: dict[str, Any] = source, text: str = text) -> Any:
            import yaml

            scan = Scan()
            scan.set_data_source_name("uf")
            scan.add_configuration_yaml_str(yaml.safe_dump({"data_source uf": source}))
            scan.add_sodacl_yaml_str(text)
            try:
                scan.execute()
            finally:
                scan._data_source_manager.get_data_source("uf").disconnect()
            return scan

        s, scan = median(run, runs)
        results = {c["name"]: c for c in scan.get_scan_results()["checks"]}
        counts = _soda_counts(results)
        statements = len(scan._queries)
        label = f"Soda Core 3 (samples {'on' if samples else 'off'})"
        out.append(Row(label, s, statements, counts))
    return out


def gx_sql_row(engine: sa.Engine, runs: int, now: str) -> Row:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    with engine.connect() as conn:
        schema = conn.execute(sa.text("SELECT current_schema()")).scalar_one()
    ds = ctx.data_sources.add_postgres("uf", connection_string=engine.url.render_as_string(hide_password=False))
    batch = ds.add_table_asset("t", table_name="bench_customer", schema_name=schema)
    batch = batch.add_batch_definition_whole_table("all").get_batch()
    exps = gx_expectations(now)
    suite = gx.ExpectationSuite(
        name="bench",
        expectations=[
            ExpectationConfiguration(type=t, kwargs=k, meta={"uf_id": c}).to_domain_obj() for c, t, k in exps
        ],
    )
    statements = [0]

    def count(*_: Any, **__: Any) -> None:
        statements[0] += 1

    def run() -> Any:
        statements[0] = 0
        return batch.validate(suite, result_format={"result_format": "SUMMARY", "partial_unexpected_count": 20})

    # every SQLAlchemy engine: GX builds its own execution engine behind the datasource
    sa.event.listen(sa.engine.Engine, "before_cursor_execute", count)
    try:
        s, res = median(run, runs)
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", count)
    counts = _gx_counts(exps, res)
    ds.get_engine().dispose()
    return Row("GX 1.x (SQL datasource)", s, statements[0], counts, "context set-up not timed")


def peer_rows(engine: sa.Engine, runs: int, now: str) -> list[Row]:
    return [*soda_rows(engine, runs, now), gx_sql_row(engine, runs, now)]
