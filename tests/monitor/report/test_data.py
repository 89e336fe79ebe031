"""The report's numbers equal values computed independently, in plain Python, from the rows inserted."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from monitor.report.data import gather
from monitor.report.period import Period, month, parse_period

WEIGHT = {"critical": 3, "warning": 1, "info": 0}


def latest_results(seed: Any) -> list[dict[str, Any]]:
    """One result per check, dataset, stage and batch: the highest run id wins."""
    best: dict[tuple, dict[str, Any]] = {}
    for r in seed.rows("fact_data_quality"):
        key = (r["check_id"], r["dataset_name"], r["stage"], r["batch_id"])
        if key not in best or r["run_id"] > best[key]["run_id"]:
            best[key] = r
    return list(best.values())


def expected_score(seed: Any, period: Period, stages=("cleansed", "star"), **where: str) -> float | None:
    num = den = 0.0
    for r in latest_results(seed):
        if r["stage"] not in stages or r["score"] is None:
            continue
        if not period.start_key <= r["date_key"] <= period.end_key:
            continue
        if any(r[k] != v for k, v in where.items()):
            continue
        num += r["score"] * WEIGHT[r["severity"]]
        den += WEIGHT[r["severity"]]
    return num / den if den else None


OCT, SEP, AUG = month(date(2026, 10, 1)), month(date(2026, 9, 1)), month(date(2026, 8, 1))


def test_headline_is_this_month_vs_last_vs_first(filled: tuple[Engine, Any]) -> None:
    engine, seed = filled
    data = gather(engine, parse_period("2026-10", None, None))
    h = data.headline
    assert h is not None and h.stages == ("cleansed", "star")
    assert h.previous == SEP and h.first == AUG
    assert h.score == pytest.approx(expected_score(seed, OCT), abs=1e-12)
    assert h.previous_score == pytest.approx(expected_score(seed, SEP), abs=1e-12)
    assert h.first_score == pytest.approx(expected_score(seed, AUG), abs=1e-12)
    # the re-run of the October CIS batch replaced its first result: October is worse than September
    assert h.score < h.previous_score


def test_trends_by_dimension_and_source_rebuild_from_sums(filled: tuple[Engine, Any]) -> None:
    engine, seed = filled
    data = gather(engine, None)
    assert data.scope.kind == "all" and data.grain == "month"
    assert data.headline is not None and data.headline.current == OCT
    assert [d for d, _ in data.trend_overall] == [AUG.start, SEP.start, OCT.start]
    for (_, value), period in zip(data.trend_overall, (AUG, SEP, OCT), strict=True):
        assert value == pytest.approx(expected_score(seed, period), abs=1e-12)
    # info checks weigh 0, so timeliness (info only) has no score; the others have one per month
    assert set(data.trend_by_dimension) == {"completeness", "uniqueness", "validity"}
    for dimension, points in data.trend_by_dimension.items():
        for day, value in points:
            assert value == pytest.approx(expected_score(seed, month(day), dimension_name=dimension), abs=1e-12)
    assert set(data.trend_by_source) == {"cis", "mdm", "payments"}
    for source, points in data.trend_by_source.items():
        for day, value in points:
            assert value == pytest.approx(expected_score(seed, month(day), source=source), abs=1e-12)


def test_improvement_is_cleansed_minus_raw_per_source(filled: tuple[Engine, Any]) -> None:
    engine, seed = filled
    data = gather(engine, parse_period(None, "2026-09-01", "2026-10-31"))
    scope = Period(date(2026, 9, 1), date(2026, 10, 31), "range")
    for source, (raw, cleansed) in data.improvement_by_source.items():
        assert raw == pytest.approx(expected_score(seed, scope, ("raw",), source=source), abs=1e-12)
        assert cleansed == pytest.approx(expected_score(seed, scope, ("cleansed",), source=source), abs=1e-12)
    raw, cleansed = data.improvement_by_dimension["validity"]
    assert cleansed > raw  # cleansing repairs emails
    # a range compares with the range of the same length just before it
    assert data.headline is not None and data.headline.previous == Period(date(2026, 7, 2), date(2026, 8, 31), "range")


def test_top_failing_checks_with_owner_rule_version_and_incident_status(filled: tuple[Engine, Any]) -> None:
    engine, seed = filled
    data = gather(engine, parse_period("2026-10", None, None))
    counts: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for r in latest_results(seed):
        if OCT.start_key <= r["date_key"] <= OCT.end_key and r["status"] == "fail":
            counts[(r["check_id"], r["stage"])][0] += 1
        if OCT.start_key <= r["date_key"] <= OCT.end_key:
            counts[(r["check_id"], r["stage"])][1] += r["rows_failed"]
    expected = sorted(((k, v) for k, v in counts.items() if v[0]), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))
    got = [((c.check_id, c.stage), [c.failures, c.rows_failed]) for c in data.top_checks]
    assert got == expected[:10]
    by_id = {(c.check_id, c.stage): c for c in data.top_checks}
    email = by_id[("cis.email_valid", "cleansed")]
    assert (email.owner, email.rule_version) == ("crm-data", 2)  # the rule's current version and owner
    assert email.incident_status == "acknowledged"  # opened 15 Oct, acknowledged 16 Oct, not resolved
    assert by_id[("mdm.email_valid", "raw")].incident_status == "resolved"
    assert all(c.incident_status == "none" for k, c in by_id.items() if k[0] == "payments.unique_key")


def test_incidents_opened_resolved_and_mean_time_to_resolve(filled: tuple[Engine, Any]) -> None:
    engine, seed = filled
    data = gather(engine, parse_period("2026-10", None, None))
    start, end = datetime(2026, 10, 1), datetime(2026, 11, 1)
    rows = seed.rows("dq_incident")
    resolved = [i for i in rows if i["resolved_at"] and start <= i["resolved_at"] < end]
    inc = data.incidents
    assert inc is not None
    assert inc.opened == sum(start <= i["opened_at"] < end for i in rows) == 3
    assert inc.resolved == len(resolved) == 2
    hours = [(i["resolved_at"] - i["opened_at"]).total_seconds() / 3600 for i in resolved]
    assert inc.mean_hours_to_resolve == pytest.approx(sum(hours) / len(hours))
    assert (inc.open_at_end, inc.open_critical_at_end) == (2, 1)
    # September, seen from its own end: the payments incident was still open then
    sep = gather(engine, parse_period("2026-09", None, None)).incidents
    assert sep is not None and (sep.opened, sep.resolved, sep.open_at_end) == (2, 1, 1)


def _valid_at(row: dict[str, Any], day: date, start: str, end: str) -> bool:
    return row[start].date() <= day and (row[end] is None or row[end].date() > day)


def test_business_kpis_from_the_star(filled: tuple[Engine, Any]) -> None:
    engine, seed = filled
    data = gather(engine, parse_period("2026-10", None, None))
    kpis = {k.name: k for k in data.kpis}
    for period, attr in ((OCT, "current"), (SEP, "previous")):
        customers = [c for c in seed.rows("dim_customer") if _valid_at(c, period.end, "effective_from", "effective_to")]
        contactable = sum(c["has_valid_email"] or c["has_valid_phone"] for c in customers)
        assert getattr(kpis["contactability"], attr).value == pytest.approx(contactable / len(customers))
        xref = [x for x in seed.rows("customer_xref") if _valid_at(x, period.end, "valid_from", "valid_to")]
        per_source: dict[str, list[str]] = defaultdict(list)
        for x in xref:
            per_source[x["source"]].append(x["golden_customer_id"])
        dups = sum(len(ids) - len(set(ids)) for ids in per_source.values())
        assert getattr(kpis["duplicate_customer_rate"], attr).value == pytest.approx(dups / len(xref))
        premises = [p for p in seed.rows("dim_premise") if _valid_at(p, period.end, "effective_from", "effective_to")]
        linked = sum(p["in_cis"] and p["in_gis"] for p in premises)
        assert getattr(kpis["gis_link_coverage"], attr).value == pytest.approx(linked / len(premises))
        usage = [u for u in seed.rows("fact_daily_usage") if period.start_key <= u["usage_date_key"] <= period.end_key]
        assert getattr(kpis["ami_read_completeness"], attr).value == pytest.approx(
            sum(u["intervals_received"] for u in usage) / sum(u["intervals_expected"] for u in usage))
        lines = [b for b in seed.rows("fact_billing_line") if period.start_key <= b["bill_date_key"] <= period.end_key]
        bills = {b["bill_id"] for b in lines}
        estimated = {b["bill_id"] for b in lines if b["is_estimated"]}
        assert getattr(kpis["bills_estimated_rate"], attr).value == pytest.approx(len(estimated) / len(bills))
        pays = [p for p in seed.rows("fact_payment") if period.start_key <= p["payment_date_key"] <= period.end_key]
        unapplied = sum(p["amount"] for p in pays if p["is_unapplied"])
        assert getattr(kpis["unapplied_cash"], attr).numerator == pytest.approx(unapplied)
        assert getattr(kpis["unapplied_cash"], attr).value == pytest.approx(unapplied / sum(p["amount"] for p in pays))
    # the duplicate folded in August was split out again in October
    assert kpis["duplicate_customer_rate"].current.value < kpis["duplicate_customer_rate"].previous.value
    assert [d for d, _ in kpis["contactability"].trend] == [AUG.start, SEP.start, OCT.start]


def test_coverage_counts_checks_datasets_dimensions_and_errors(filled: tuple[Engine, Any]) -> None:
    engine, seed = filled
    data = gather(engine, parse_period("2026-09", None, None))
    cov = data.coverage
    rows = [r for r in latest_results(seed) if SEP.start_key <= r["date_key"] <= SEP.end_key]
    assert cov is not None
    assert cov.results == len(rows)
    assert cov.errored == sum(r["status"] == "error" for r in rows) == 1
    assert cov.checks == len({(r["check_id"], r["stage"]) for r in rows}) == 24
    assert cov.dimensions == ("completeness", "timeliness", "uniqueness", "validity")


def test_empty_warehouse_gives_an_empty_report(warehouse: Engine) -> None:
    from warehouse.migrate import migrate

    migrate(warehouse)
    data = gather(warehouse, None)
    assert data.empty and data.headline is None
