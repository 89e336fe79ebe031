"""Outcomes and scores exactly as DESIGN.md: thresholds, check/dimension/batch scores, the critical
cap, coverage beside the score, and pooling over time from row counts."""

from __future__ import annotations

import pytest

from checks.results import CheckResult, Evaluation, Outcome
from checks.scores import batch_scores, dimension_scores, pooled_check_scores
from checks.spec import CheckSpec, Threshold, judge
from checks.types.not_null import NotNull
from checks.types.row_count import RowCount


@pytest.mark.parametrize(
    "threshold,evaluated,failed,expected",
    [
        (Threshold(), 100, 0, Outcome.PASS),
        (Threshold(), 100, 1, Outcome.FAIL),
        (Threshold(pass_rate_warn=0.98, pass_rate_fail=0.95), 100, 1, Outcome.PASS),
        (Threshold(pass_rate_warn=0.98, pass_rate_fail=0.95), 100, 3, Outcome.WARN),
        (Threshold(pass_rate_warn=0.98, pass_rate_fail=0.95), 100, 5, Outcome.WARN),  # 0.95 is not below fail
        (Threshold(pass_rate_warn=0.98, pass_rate_fail=0.95), 100, 6, Outcome.FAIL),
        (Threshold(pass_rate_fail=0.9), 10, 1, Outcome.PASS),  # a GX `mostly: 0.9`
        (Threshold(max_failed_warn=0, max_failed_fail=10), 1000, 5, Outcome.WARN),
        (Threshold(max_failed_warn=0, max_failed_fail=10), 1000, 11, Outcome.FAIL),
        (Threshold(pass_rate_fail=0.5, max_failed_fail=2), 100, 3, Outcome.FAIL),  # worst of both
    ],
)
def test_thresholds(threshold: Threshold, evaluated: int, failed: int, expected: Outcome) -> None:
    spec = CheckSpec("c", NotNull("x"), "completeness", "warning", threshold)
    result = judge(spec, Evaluation.rows(evaluated, failed))
    assert result.status is expected
    assert result.score == pytest.approx(1 - failed / evaluated)


def test_empty_batch_is_skipped_and_table_checks_score_one_or_zero() -> None:
    spec = CheckSpec("c", NotNull("x"), "completeness", "warning")
    assert judge(spec, Evaluation.rows(0, 0)).status is Outcome.SKIPPED
    rc = CheckSpec("r", RowCount(min=1), "completeness", "critical")
    assert judge(rc, Evaluation(passed=False)).score == 0.0
    assert judge(rc, Evaluation(passed=True)).score == 1.0


def r(
    check_id: str,
    dim: str,
    sev: str,
    status: Outcome,
    score: float | None,
    ev: int | None = None,
    failed: int | None = None,
    cols: tuple[str, ...] = (),
) -> CheckResult:
    return CheckResult(
        check_id, "t", dim, sev, status, rows_evaluated=ev, rows_failed=failed, score=score, columns=cols
    )


@pytest.mark.parametrize(
    "results,expected",
    [
        (
            [
                r("a", "validity", "critical", Outcome.PASS, 1.0),
                r("b", "validity", "warning", Outcome.FAIL, 0.6),
            ],
            {"validity": (3 * 1.0 + 0.6) / 4},
        ),
        ([r("a", "validity", "info", Outcome.FAIL, 0.0)], {"validity": None}),  # info carries no weight
        (
            [
                r("a", "validity", "warning", Outcome.ERROR, None),
                r("b", "validity", "warning", Outcome.PASS, 0.9),
            ],
            {"validity": 0.9},
        ),  # an error is not folded into the score
    ],
)
def test_dimension_scores(results: list[CheckResult], expected: dict[str, float | None]) -> None:
    assert dimension_scores(results) == pytest.approx(expected)


def test_batch_score_caps_on_a_failed_critical_check_and_reports_coverage_beside() -> None:
    results = [
        r("a", "validity", "warning", Outcome.PASS, 1.0, cols=("email",)),
        r("b", "completeness", "critical", Outcome.FAIL, 0.9, cols=("phone",)),
        r("c", "timeliness", "warning", Outcome.ERROR, None, cols=("ts",)),
    ]
    s = batch_scores(results, table_columns=["email", "phone", "ts", "name"])
    assert s.dimensions == pytest.approx({"validity": 1.0, "completeness": 0.9})
    assert s.capped and s.batch == 0.5  # (1.0 + 0.9) / 2 = 0.95, capped
    assert s.coverage.dimensions == ("completeness", "validity")  # the errored check covers nothing
    assert s.coverage.column_share == 0.75
    assert s.counts["error"] == 1
    assert batch_scores(results[:1]).batch == 1.0 and not batch_scores(results[:1]).capped


def test_scores_over_time_pool_row_counts() -> None:
    runs = [
        r("a", "validity", "warning", Outcome.FAIL, 0.0, ev=10, failed=10),
        r("a", "validity", "warning", Outcome.PASS, 1.0, ev=990, failed=0),
        r("t", "timeliness", "warning", Outcome.FAIL, 0.0),
        r("t", "timeliness", "warning", Outcome.PASS, 1.0),
    ]
    pooled = pooled_check_scores(runs)
    assert pooled["a"] == pytest.approx(0.99)  # not the mean of percentages (0.5)
    assert pooled["t"] == 0.5


def test_improvement_is_cleansed_minus_raw() -> None:
    from checks.scores import improvement

    raw = batch_scores(
        [r("a", "validity", "warning", Outcome.FAIL, 0.8), r("b", "uniqueness", "warning", Outcome.PASS, 1.0)]
    )
    clean = batch_scores([r("a", "validity", "warning", Outcome.PASS, 0.99)])
    got = improvement(raw, clean)
    assert got["validity"] == pytest.approx(0.19) and got["uniqueness"] is None
    assert got["batch"] == pytest.approx(0.99 - 0.9)


def test_aggregate_range_compares_timestamps_with_now() -> None:
    from datetime import UTC, datetime

    from checks.registry import EvalContext
    from checks.types.range import Range

    ctx = EvalContext(now=datetime(2026, 1, 1, tzinfo=UTC))
    check = Range("created_at", max="now", of="max")
    assert check.evaluate({"value": datetime(2025, 12, 31)}, ctx).passed is True
    assert check.evaluate({"value": datetime(2026, 1, 2)}, ctx).passed is False
