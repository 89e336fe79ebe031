"""Check, dimension and batch scores exactly as DESIGN.md defines them.

- check score: pass rate 1 - failed/evaluated for row checks; 1 or 0 for table-level checks;
- dimension score: severity-weighted mean of check scores (critical 3, warning 1, info 0);
- batch score: mean of dimension scores; any failed critical check caps it (0.5);
- coverage and errored/skipped checks are reported beside the score, never folded into it;
- over time, scores come from summed row counts, not from averaging percentages.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from checks.registry import DIMENSIONS
from checks.results import CheckResult, Outcome

SEVERITY_WEIGHTS: Mapping[str, float] = {"critical": 3, "warning": 1, "info": 0}
CRITICAL_CAP = 0.5


@dataclass(frozen=True)
class Coverage:
    dimensions: tuple[str, ...]  # dimensions with at least one check that ran
    columns: tuple[str, ...]  # table columns with at least one check
    table_columns: int

    @property
    def dimension_share(self) -> float:
        return len(self.dimensions) / len(DIMENSIONS)

    @property
    def column_share(self) -> float | None:
        return len(self.columns) / self.table_columns if self.table_columns else None


@dataclass(frozen=True)
class Scores:
    batch: float | None
    dimensions: dict[str, float | None]
    capped: bool  # a critical check failed, so the batch score is at most the cap
    coverage: Coverage
    counts: dict[str, int] = field(default_factory=dict)  # checks per outcome

    def to_dict(self) -> dict[str, Any]:
        return {
            "batch": self.batch,
            "dimensions": self.dimensions,
            "capped_by_critical_failure": self.capped,
            "coverage": {
                "dimensions": list(self.coverage.dimensions),
                "dimension_share": self.coverage.dimension_share,
                "columns": list(self.coverage.columns),
                "column_share": self.coverage.column_share,
            },
            "checks": self.counts,
        }


def dimension_scores(
    results: Iterable[CheckResult], weights: Mapping[str, float] = SEVERITY_WEIGHTS
) -> dict[str, float | None]:
    """Severity-weighted mean per dimension; None where no scored check carries weight."""
    num: dict[str, float] = defaultdict(float)
    den: dict[str, float] = defaultdict(float)
    seen: set[str] = set()
    for r in results:
        if r.score is None:
            continue
        seen.add(r.dimension)
        w = weights.get(r.severity, 0)
        num[r.dimension] += w * r.score
        den[r.dimension] += w
    return {d: (num[d] / den[d] if den[d] else None) for d in DIMENSIONS if d in seen}


def batch_scores(
    results: Iterable[CheckResult],
    *,
    table_columns: Iterable[str] = (),
    weights: Mapping[str, float] = SEVERITY_WEIGHTS,
    cap: float = CRITICAL_CAP,
    dimension_weights: Mapping[str, float] | None = None,
) -> Scores:
    """Dimension scores, the batch score with the critical gate, coverage and outcome counts."""
    rs = list(results)
    dims = dimension_scores(rs, weights)
    scored = {d: s for d, s in dims.items() if s is not None}
    batch: float | None = None
    if scored:
        dw = {d: (dimension_weights or {}).get(d, 1.0) for d in scored}
        total = sum(dw.values())
        batch = sum(dw[d] * s for d, s in scored.items()) / total if total else None
    capped = any(r.severity == "critical" and r.status is Outcome.FAIL for r in rs)
    if capped and batch is not None:
        batch = min(batch, cap)
    table_cols = list(table_columns)
    ran = [r for r in rs if r.status not in (Outcome.ERROR, Outcome.SKIPPED)]
    covered_cols = sorted({c for r in rs for c in r.columns} & set(table_cols))
    coverage = Coverage(
        tuple(d for d in DIMENSIONS if any(r.dimension == d for r in ran)),
        tuple(covered_cols),
        len(table_cols),
    )
    counts = {o.value: sum(1 for r in rs if r.status is o) for o in Outcome}
    return Scores(batch, dims, capped, coverage, counts)


def pooled_check_scores(results: Iterable[CheckResult]) -> dict[str, float]:
    """Scores of each check over many batches, from summed row counts (a 10-row batch does not weigh
    as much as a 10-million-row one); table-level checks score the share of runs that did not fail."""
    failed: dict[str, int] = defaultdict(int)
    evaluated: dict[str, int] = defaultdict(int)
    runs: dict[str, list[float]] = defaultdict(list)
    for r in results:
        if r.score is None:
            continue
        if r.rows_evaluated is not None and r.rows_failed is not None and r.rows_evaluated > 0:
            failed[r.check_id] += r.rows_failed
            evaluated[r.check_id] += r.rows_evaluated
        else:
            runs[r.check_id].append(r.score)
    out = {c: 1 - failed[c] / evaluated[c] for c in evaluated}
    out.update({c: sum(v) / len(v) for c, v in runs.items() if c not in out})
    return out


def improvement(raw: Scores, cleansed: Scores) -> dict[str, float | None]:
    """What cleansing bought, per dimension and for the batch: cleansed - raw (None where either
    side has no score)."""
    out: dict[str, float | None] = {}
    for d in DIMENSIONS:
        r, c = raw.dimensions.get(d), cleansed.dimensions.get(d)
        if d in raw.dimensions or d in cleansed.dimensions:
            out[d] = None if r is None or c is None else c - r
    out["batch"] = None if raw.batch is None or cleansed.batch is None else cleansed.batch - raw.batch
    return out
