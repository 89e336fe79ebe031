"""Run SodaCL checks (the ones without a native translation, or all of them with `engine: soda`) with
Soda Core 3: soda-core-postgres on PostgreSQL, soda-core-sqlserver on SQL Server / Synapse.

Soda's telemetry is switched off before Soda is imported (otherwise every scan tries to send traces, which
costs seconds offline): Soda reads `send_anonymous_usage_stats` from a config file it looks up first in a
path we give it, so we give it one under the UtilityFlow cache directory that says false. One scan runs
all the checks of a suite; each check carries its UtilityFlow id as its Soda `name`, which maps results
back. Outcome, metric value and failed-row count (where Soda reports one) are normalised.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from sqlalchemy.engine import Engine

from checks.results import CheckResult, Outcome
from checks.spec import CheckSpec, Suite
from monitor.engines import PeerUnavailable, external, peer_error, peer_result, plain

_TYPES = {"postgresql": "postgres", "mssql": "sqlserver"}
_SAMPLED = ("missing_", "invalid_", "duplicate_", "values in", "failed rows")
_OUTCOMES = {"pass": Outcome.PASS, "warn": Outcome.WARN, "fail": Outcome.FAIL}


def telemetry_off() -> None:
    """Point Soda's global config at a file saying send_anonymous_usage_stats: false (before any scan)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "utilityflow" / "soda"
    cache.mkdir(parents=True, exist_ok=True)
    config = cache / "config.yml"
    config.write_text("send_anonymous_usage_stats: false\n")
    from soda.common.config_helper import ConfigHelper

    helper = ConfigHelper.get_instance(str(config))
    helper.config["send_anonymous_usage_stats"] = False


def data_source_config(engine: Engine, schema: str) -> dict[str, Any]:
    """Soda's data source configuration for the warehouse engine (secrets stay in memory)."""
    u = engine.url
    kind = _TYPES.get(engine.dialect.name)
    if kind is None:
        raise PeerUnavailable(
            f"Soda Core 3 is not run on {engine.dialect.name}: soda-core-duckdb pins duckdb<1.1 and is not "
            "installed; SodaCL runs natively there (translate the check, or run on PostgreSQL / SQL Server)"
        )
    cfg: dict[str, Any] = {
        "type": kind,
        "host": u.host or "localhost",
        "port": str(u.port or (5432 if kind == "postgres" else 1433)),
        "username": u.username or "",
        "password": u.password or "",
        "database": u.database or "",
        "schema": schema,
    }
    if kind == "sqlserver" and u.query.get("driver"):
        cfg["driver"] = u.query["driver"]
    return cfg


def run_soda(
    engine: Engine, suite: Suite, specs: list[CheckSpec], *, batch_id: Any, batched: bool, samples: bool = False
) -> dict[str, CheckResult]:
    """One Soda scan of `specs` on the suite's dataset (and batch)."""
    try:
        telemetry_off()
        from soda.scan import Scan
    except ImportError as e:
        raise PeerUnavailable(f"soda-core is not installed ({e}); pip install 'utilityflow[soda]'") from None
    with engine.connect() as conn:
        schema = (
            suite.schema
            or conn.execute(
                sa.text("SELECT SCHEMA_NAME()" if engine.dialect.name == "mssql" else "SELECT current_schema()")
            ).scalar_one()
        )
    source = data_source_config(engine, schema)
    section = f"checks for {suite.dataset}"
    doc: dict[str, Any] = {}
    if batched:
        value = (
            batch_id
            if isinstance(batch_id, int) and not isinstance(batch_id, bool)
            else f"'{str(batch_id).replace(chr(39), chr(39) * 2)}'"
        )
        doc[f"filter {suite.dataset} [batch]"] = {"where": f"{suite.batch_column} = {value}"}
        section += " [batch]"
    doc[section] = [_named(yaml.safe_load(external(s).definition), s.id) for s in specs]
    scan = Scan()
    scan.set_scan_definition_name(f"utilityflow_{suite.dataset}")
    scan.set_data_source_name("uf")
    if not samples:  # Soda's failed-row sample queries are extra statements; ours come from the runner
        source["sampler"] = {"disable_samples": True}
        for item in doc[section]:
            if str(next(iter(item))).startswith(_SAMPLED):
                next(iter(item.values()))["samples limit"] = 0
    scan.add_configuration_yaml_str(yaml.safe_dump({"data_source uf": source}))
    scan.add_sodacl_yaml_str(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    try:
        scan.execute()
    finally:
        # Soda leaves its connection idle in a transaction (holding locks until the process ends)
        scan._data_source_manager.get_data_source("uf").disconnect()
    results = {str(c.get("name")): c for c in (scan.get_scan_results() or {}).get("checks", [])}
    errors = "; ".join(
        str(log.get("message"))
        for log in (scan.get_scan_results() or {}).get("logs", [])
        if log.get("level") == "ERROR"
    )
    return {s.id: _normalise(s, results.get(s.id), errors) for s in specs}


def _named(check: Any, check_id: str) -> Any:
    """The SodaCL check with `name: <check id>` (an existing name is kept as the identity's text)."""
    if isinstance(check, dict) and len(check) == 1:
        line, config = next(iter(check.items()))
        return {line: {**(config or {}), "name": check_id}}
    return {str(check): {"name": check_id}}


def _normalise(spec: CheckSpec, r: dict[str, Any] | None, errors: str) -> CheckResult:
    if r is None:
        return peer_error(spec, f"Soda returned no result{': ' + errors[:500] if errors else ''}")
    status = _OUTCOMES.get(str(r.get("outcome")))
    if status is None:
        return peer_error(spec, f"Soda could not evaluate it{': ' + errors[:500] if errors else ''}")
    diag = plain(r.get("diagnostics") or {})
    value = diag.get("value")
    failed = diag.get("failedRowsCount")
    line = _line(external(spec).definition)
    if failed is None and line.startswith(("missing_count", "invalid_count")):
        failed = int(value) if isinstance(value, int | float) else None
    return peer_result(
        spec,
        status,
        rows_failed=failed,
        observed=value if isinstance(value, int | float | str) or value is None else str(value),
        message=f"Soda {line[:160]}: {status.value}, value {value}",
        metrics={"value": value},
    )


def _line(definition: str) -> str:
    check = yaml.safe_load(definition)
    return str(next(iter(check)) if isinstance(check, dict) else check)
