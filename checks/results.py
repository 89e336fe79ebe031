"""Outcomes and the result of one check: the data failed vs. the check could not run are different."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Outcome(enum.StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    ERROR = "error"  # the check could not run: never folded into the score
    SKIPPED = "skipped"  # nothing to evaluate (e.g. an empty batch) or not applicable


@dataclass(frozen=True)
class Evaluation:
    """What a check type concludes from measured metric values, before thresholds are applied.

    Row-level checks give `rows_evaluated` and `rows_failed`; table-level checks give `passed`.
    `metrics` names every measured value the check reports (e.g. duplicate_rows, duplicate_keys,
    excess_rows for `unique`).
    """

    rows_evaluated: int | None = None
    rows_failed: int | None = None
    observed: Any = None
    passed: bool | None = None
    message: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    skipped: bool = False

    @classmethod
    def rows(cls, evaluated: Any, failed: Any, *, what: str = "rows", **metrics: Any) -> Evaluation:
        """A row-level evaluation; SUM over no rows is NULL, which counts as 0."""
        ev, fl = int(evaluated or 0), int(failed or 0)
        return cls(
            rows_evaluated=ev,
            rows_failed=fl,
            observed=fl,
            message=f"{fl} of {ev} {what}",
            metrics={"rows_evaluated": ev, "rows_failed": fl, **metrics},
        )


@dataclass(frozen=True)
class Sample:
    """One failed row: its key (key columns joined with '|') and the offending value, as text."""

    key: str | None
    value: str | None


@dataclass(frozen=True)
class CheckResult:
    """The judged result of one check on one dataset, batch and stage."""

    check_id: str
    type: str
    dimension: str
    severity: str
    status: Outcome
    rows_evaluated: int | None = None
    rows_failed: int | None = None
    observed: Any = None
    message: str = ""
    score: float | None = None  # None when error/skipped: reported beside the score, not in it
    thresholds: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    samples: tuple[Sample, ...] = ()
    columns: tuple[str, ...] = ()
    definition_hash: str = ""

    @property
    def pass_rate(self) -> float | None:
        if self.rows_evaluated:
            return 1 - (self.rows_failed or 0) / self.rows_evaluated
        return None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the CLI's `--format json` shape for one result)."""
        return {
            "check_id": self.check_id,
            "type": self.type,
            "dimension": self.dimension,
            "severity": self.severity,
            "status": self.status.value,
            "rows_evaluated": self.rows_evaluated,
            "rows_failed": self.rows_failed,
            "observed": self.observed,
            "message": self.message,
            "score": self.score,
            "thresholds": self.thresholds,
            "metrics": self.metrics,
            "samples": [{"key": s.key, "value": s.value} for s in self.samples],
        }
