"""Parsed suites and checks, thresholds, and judging an evaluation into a result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from checks.metrics import AllOf, Metric, Predicate, canonical_json, definition_hash
from checks.registry import CheckType, failure_of
from checks.results import CheckResult, Evaluation, Outcome, Sample

STAGES = ("raw", "cleansed", "star")


@dataclass(frozen=True)
class Threshold:
    """When a row-level check warns or fails: on the pass rate (`pass_rate: {warn: 0.98, fail: 0.95}`;
    a GX `mostly` is `pass_rate: {fail: mostly}`) and/or on the failed-row count (`max_failed`).
    Without either, any failed row fails the check."""

    pass_rate_warn: float | None = None
    pass_rate_fail: float | None = None
    max_failed_warn: int | None = None
    max_failed_fail: int | None = None

    @property
    def explicit(self) -> bool:
        return any(
            v is not None
            for v in (self.pass_rate_warn, self.pass_rate_fail, self.max_failed_warn, self.max_failed_fail)
        )

    def judge(self, evaluated: int | None, failed: int) -> Outcome:
        if not self.explicit:
            return Outcome.FAIL if failed > 0 else Outcome.PASS
        rate = 1 - failed / evaluated if evaluated else None
        if (rate is not None and self.pass_rate_fail is not None and rate < self.pass_rate_fail) or (
            self.max_failed_fail is not None and failed > self.max_failed_fail
        ):
            return Outcome.FAIL
        if (rate is not None and self.pass_rate_warn is not None and rate < self.pass_rate_warn) or (
            self.max_failed_warn is not None and failed > self.max_failed_warn
        ):
            return Outcome.WARN
        return Outcome.PASS

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.pass_rate_warn is not None or self.pass_rate_fail is not None:
            out["pass_rate"] = {"warn": self.pass_rate_warn, "fail": self.pass_rate_fail}
        if self.max_failed_warn is not None or self.max_failed_fail is not None:
            out["max_failed"] = {"warn": self.max_failed_warn, "fail": self.max_failed_fail}
        return out or {"max_failed": {"warn": None, "fail": 0}}


@dataclass(frozen=True)
class CheckSpec:
    """One check of a suite: its type's dataclass instance plus what every check has."""

    id: str
    check: CheckType
    dimension: str
    severity: str
    threshold: Threshold = field(default_factory=Threshold)
    sample_limit: int = 20
    description: str = ""
    file: str | None = field(default=None, compare=False)
    line: int | None = field(default=None, compare=False)
    where: Predicate | None = None  # only rows matching it are judged (GX row_condition)

    @property
    def type(self) -> str:
        return self.check.type_name

    @property
    def table_level(self) -> bool:
        return bool(self.check.table_level) and not getattr(self.check, "row_level", False)

    def metrics(self) -> dict[str, Metric]:
        if self.where is None:
            return self.check.metrics()
        from checks.where import filtered

        return filtered(self.check.metrics(), self.where)

    def failure(self) -> Predicate | None:
        """The row-level failure predicate (for samples), within the check's `where` filter."""
        pred = failure_of(self.check)
        if pred is None or self.where is None:
            return pred
        return AllOf((self.where, pred))

    @property
    def definition(self) -> tuple[Any, ...]:
        base = (self.type, self.check, self.dimension, self.severity, self.threshold)
        # appended only when set, so existing checks keep their definition hash (dim_check history)
        return base if self.where is None else (*base, self.where)

    @property
    def definition_json(self) -> str:
        return canonical_json(self.definition)

    @property
    def definition_hash(self) -> str:
        """Changes when anything that affects the outcome changes (dim_check SCD2 versions on it)."""
        return definition_hash(self.definition)


@dataclass(frozen=True)
class Suite:
    """A suite: one dataset (table or view) at one stage, with its owner and checks."""

    dataset: str
    stage: str
    checks: tuple[CheckSpec, ...]
    schema: str | None = None
    owner: str | None = None
    slack_channel: str | None = None
    keys: tuple[str, ...] = ()  # identify failed rows in samples
    pii: tuple[tuple[str, str], ...] = ()  # column -> email|phone|name|address
    batch_column: str = "batch_id"
    file: str | None = field(default=None, compare=False)

    def check(self, check_id: str) -> CheckSpec:
        return next(c for c in self.checks if c.id == check_id)


def judge(spec: CheckSpec, ev: Evaluation, samples: tuple[Sample, ...] = ()) -> CheckResult:
    """Apply the check's threshold to its evaluation; score per DESIGN.md (pass rate for row checks,
    1 or 0 for table-level checks, none when skipped)."""
    common = {
        "check_id": spec.id,
        "type": spec.type,
        "dimension": spec.dimension,
        "severity": spec.severity,
        "rows_evaluated": ev.rows_evaluated,
        "rows_failed": ev.rows_failed,
        "observed": ev.observed,
        "message": ev.message,
        "thresholds": spec.threshold.as_dict() if spec.threshold.explicit or not spec.table_level else {},
        "metrics": dict(ev.metrics),
        "columns": tuple(spec.check.columns()),
        "definition_hash": spec.definition_hash,
    }
    if ev.skipped:
        return CheckResult(status=Outcome.SKIPPED, samples=(), **common)
    if ev.rows_evaluated is not None and ev.rows_failed is not None and not spec.table_level:
        if ev.rows_evaluated == 0:
            return CheckResult(status=Outcome.SKIPPED, **{**common, "message": "no rows to evaluate"})
        status = spec.threshold.judge(ev.rows_evaluated, ev.rows_failed)
        score = 1 - ev.rows_failed / ev.rows_evaluated
        return CheckResult(status=status, score=score, samples=samples, **common)
    if ev.rows_failed is not None and spec.threshold.explicit:
        status = spec.threshold.judge(ev.rows_evaluated, ev.rows_failed)
    else:
        status = Outcome.PASS if ev.passed else Outcome.FAIL
    score = 0.0 if status is Outcome.FAIL else 1.0
    return CheckResult(status=status, score=score, samples=samples, **common)


def error_result(spec: CheckSpec, message: str) -> CheckResult:
    """The check could not run: status error, no score."""
    return CheckResult(
        check_id=spec.id,
        type=spec.type,
        dimension=spec.dimension,
        severity=spec.severity,
        status=Outcome.ERROR,
        message=message,
        thresholds=spec.threshold.as_dict(),
        columns=tuple(spec.check.columns()),
        definition_hash=spec.definition_hash,
    )
