"""Peer engines: checks without a native translation run through Great Expectations or Soda Core.

`run_external` is called by `monitor.runner.run_suite` for a suite's `external` checks. GX and Soda are
imported only here and only when such a check exists (they are heavy; `utilityflow --help` and every
native-only run never import them). Each peer result is normalised into a `CheckResult` (outcome, metric
value, evaluated and failed rows, failed-value samples) and lands in the fact table like a native one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Engine

from checks.results import CheckResult, Outcome
from checks.spec import CheckSpec, Suite
from checks.types.external import External


def run_external(
    engine: Engine, suite: Suite, specs: list[CheckSpec], *, batch_id: Any, batched: bool
) -> dict[str, CheckResult]:
    """Results of `specs` (all `external`), by check id; a peer that cannot run gives `error` results
    that name the check and why."""
    out: dict[str, CheckResult] = {}
    for name in ("gx", "soda"):
        mine = [s for s in specs if external(s).engine == name]
        if not mine:
            continue
        try:
            if name == "gx":
                from monitor.engines.gx_engine import run_gx

                out.update(run_gx(engine, suite, mine, batch_id=batch_id, batched=batched))
            else:
                from monitor.engines.soda_engine import run_soda

                out.update(run_soda(engine, suite, mine, batch_id=batch_id, batched=batched))
        except PeerUnavailable as e:
            out.update({s.id: peer_error(s, str(e)) for s in mine})
    return out


def external(spec: CheckSpec) -> External:
    """The spec's `external` check (what the peer runs)."""
    assert isinstance(spec.check, External), spec.type
    return spec.check


class PeerUnavailable(Exception):
    """The peer engine cannot run here (not installed, or does not support this warehouse)."""


def peer_error(spec: CheckSpec, why: str) -> CheckResult:
    reason = getattr(spec.check, "reason", "")
    message = f"{spec.id} not run: {why}" + (f" (no native translation: {reason})" if reason else "")
    return peer_result(spec, Outcome.ERROR, message=message)


def peer_result(spec: CheckSpec, status: Outcome, **kw: Any) -> CheckResult:
    """A peer's verdict as a CheckResult: row checks score their pass rate, table checks 1 or 0."""
    evaluated, failed = kw.get("rows_evaluated"), kw.get("rows_failed")
    score = None
    if status in (Outcome.PASS, Outcome.WARN, Outcome.FAIL):
        if evaluated and failed is not None:
            score = max(0.0, 1 - failed / evaluated)
        else:
            score = 0.0 if status is Outcome.FAIL else 1.0
    return CheckResult(
        check_id=spec.id,
        type=spec.type,
        dimension=spec.dimension,
        severity=spec.severity,
        status=status,
        score=score,
        definition_hash=spec.definition_hash,
        **kw,
    )


def plain(value: Any) -> Any:
    """numpy scalars and other exotic values as plain Python (for JSON and the fact table)."""
    if hasattr(value, "item") and callable(value.item):
        try:
            return value.item()
        except (TypeError, ValueError):
            return str(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value
