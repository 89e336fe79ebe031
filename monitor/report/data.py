"""Gather the executive report's numbers with SQL over the reporting views (migration 008).

Every ratio is rebuilt from the sums the views keep (weighted score sums and weights, KPI numerators and
denominators), never by averaging percentages. Nothing here reads a person's name, email, phone or address:
the views the report reads carry none.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from monitor.report.period import Period, date_key, from_key, month
from warehouse.engine import connect_checked

# The score executives see is the quality of data as the business consumes it: after cleansing.
HEADLINE_STAGES = ("cleansed", "star")
TOP_CHECKS = 10


@dataclass(frozen=True)
class Ratio:
    """A ratio kept as its parts, so that ratios add up correctly."""

    numerator: float = 0.0
    denominator: float = 0.0

    def __add__(self, other: Ratio) -> Ratio:
        return Ratio(self.numerator + other.numerator, self.denominator + other.denominator)

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


@dataclass(frozen=True)
class Headline:
    current: Period
    previous: Period
    first: Period
    score: float | None
    previous_score: float | None
    first_score: float | None
    stages: tuple[str, ...]


@dataclass(frozen=True)
class FailingCheck:
    check_id: str
    dataset_name: str
    stage: str
    dimension_name: str
    severity: str
    owner: str | None
    rule_version: int | None
    results: int
    failures: int
    rows_failed: int
    rows_evaluated: int
    incident_status: str  # open | acknowledged | resolved | none (as at the period end)


@dataclass(frozen=True)
class Incidents:
    opened: int
    resolved: int
    open_at_end: int
    mean_hours_to_resolve: float | None
    open_critical_at_end: int


@dataclass(frozen=True)
class Kpi:
    name: str
    label: str
    higher_is_better: bool
    kind: str  # snapshot | flow
    current: Ratio
    previous: Ratio
    trend: list[tuple[date, float]]
    is_amount: bool = False  # the numerator is money (unapplied cash)


@dataclass(frozen=True)
class Coverage:
    checks: int
    datasets: int
    dimensions: tuple[str, ...]
    results: int
    errored: int


@dataclass
class ReportData:
    scope: Period
    first_day: date | None
    last_day: date | None
    headline: Headline | None = None
    grain: str = "month"
    trend_overall: list[tuple[date, float]] = field(default_factory=list)
    trend_by_dimension: dict[str, list[tuple[date, float]]] = field(default_factory=dict)
    trend_by_source: dict[str, list[tuple[date, float]]] = field(default_factory=dict)
    improvement_by_source: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    improvement_by_dimension: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    top_checks: list[FailingCheck] = field(default_factory=list)
    incidents: Incidents | None = None
    kpis: list[Kpi] = field(default_factory=list)
    coverage: Coverage | None = None

    @property
    def empty(self) -> bool:
        return self.first_day is None


KPI_LABELS: tuple[tuple[str, str, bool], ...] = (
    ("contactability", "Contactable customers (valid email or E.164 phone)", True),
    ("valid_email", "Customers with a valid email", True),
    ("valid_phone", "Customers with a valid E.164 phone", True),
    ("standard_address", "Customers with a standardised address", True),
    ("duplicate_customer_rate", "Duplicate customer records", False),
    ("ami_read_completeness", "AMI interval reads received", True),
    ("bills_estimated_rate", "Bills estimated (above ~2% is excessive)", False),
    ("unapplied_cash", "Unapplied cash (payments matching no account)", False),
    ("gis_link_coverage", "Premises linked between GIS and CIS", True),
)


def score_range(engine: Engine) -> tuple[date | None, date | None]:
    """First and last day with a score on record."""
    with connect_checked(engine) as conn:
        lo, hi = conn.execute(sa.text("SELECT MIN(date_key), MAX(date_key) FROM v_pbi_dq_score")).one()
    return (from_key(int(lo)), from_key(int(hi))) if lo is not None else (None, None)


def gather(engine: Engine, period: Period | None) -> ReportData:
    """Everything the report shows for `period` (None: everything on record)."""
    first_day, last_day = score_range(engine)
    if first_day is None or last_day is None:
        scope = period or Period(date.today(), date.today(), "all")
        return ReportData(scope=scope, first_day=None, last_day=None)
    scope = period or Period(first_day, last_day, "all")
    current = month(last_day) if scope.kind == "all" else scope
    first = month(first_day)
    history = Period(min(first.start, scope.start), scope.end, "range")
    grain = "month" if _months_between(history.start, history.end) >= 3 else "day"
    data = ReportData(scope=scope, first_day=first_day, last_day=last_day, grain=grain)
    with connect_checked(engine) as conn:
        scores = _rows(conn, """
            SELECT date_key, stage, source, dimension_name, SUM(weighted_score_sum) AS ws, SUM(weight_sum) AS w
            FROM v_pbi_dq_score WHERE date_key <= :hi
            GROUP BY date_key, stage, source, dimension_name""", hi=scope.end_key)
        improvement = _rows(conn, """
            SELECT source, dimension_name, SUM(raw_weighted_score_sum) AS rws, SUM(raw_weight_sum) AS rw,
                   SUM(cleansed_weighted_score_sum) AS cws, SUM(cleansed_weight_sum) AS cw
            FROM v_pbi_dq_improvement WHERE date_key BETWEEN :lo AND :hi
            GROUP BY source, dimension_name""", lo=scope.start_key, hi=scope.end_key)
        checks = _rows(conn, """
            SELECT check_id, dataset_name, stage, dimension_name, severity, check_version, owner,
                   COUNT(*) AS results,
                   SUM(CASE WHEN status = 'fail' THEN 1 ELSE 0 END) AS failures,
                   SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END) AS errored,
                   SUM(COALESCE(rows_failed, 0)) AS rows_failed,
                   SUM(COALESCE(rows_evaluated, 0)) AS rows_evaluated
            FROM v_pbi_check_result WHERE date_key BETWEEN :lo AND :hi
            GROUP BY check_id, dataset_name, stage, dimension_name, severity, check_version, owner""",
                       lo=scope.start_key, hi=scope.end_key)
        incidents = _rows(conn, """
            SELECT incident_id, dataset_name, check_id, severity, opened_at, acknowledged_at, resolved_at
            FROM v_pbi_incident WHERE opened_date_key <= :hi""", hi=scope.end_key)
        kpis = _rows(conn, """
            SELECT date_key, kpi_name, kpi_kind, numerator, denominator FROM v_pbi_kpi
            WHERE date_key <= :hi""", hi=month(scope.end).end_key)
    stages = HEADLINE_STAGES if any(r["stage"] in HEADLINE_STAGES for r in scores) else ("raw",)
    headline_rows = [r for r in scores if r["stage"] in stages]
    data.headline = Headline(
        current=current, previous=current.previous(), first=first, stages=stages,
        score=_score(headline_rows, current), previous_score=_score(headline_rows, current.previous()),
        first_score=_score(headline_rows, first),
    )
    data.trend_overall = _trend(headline_rows, grain, lambda r: "all").get("all", [])
    data.trend_by_dimension = _trend(headline_rows, grain, lambda r: r["dimension_name"])
    data.trend_by_source = _trend(headline_rows, grain, lambda r: r["source"])
    data.improvement_by_source = _improvement(improvement, "source")
    data.improvement_by_dimension = _improvement(improvement, "dimension_name")
    data.top_checks = _top_checks(checks, incidents, scope)
    data.incidents = _incidents(incidents, scope)
    data.kpis = _kpis(kpis, current, grain)
    data.coverage = Coverage(
        checks=len({(r["check_id"], r["dataset_name"], r["stage"]) for r in checks}),
        datasets=len({r["dataset_name"] for r in checks}),
        dimensions=tuple(sorted({r["dimension_name"] for r in checks})),
        results=sum(int(r["results"]) for r in checks),
        errored=sum(int(r["errored"]) for r in checks),
    )
    return data


def _rows(conn: sa.Connection, sql: str, **params: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(sa.text(sql), params).mappings()]


def _months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month + 1


def _bucket(key: int, grain: str) -> date:
    day = from_key(int(key))
    return day.replace(day=1) if grain == "month" else day


def _score(rows: Iterable[dict[str, Any]], period: Period) -> float | None:
    total = Ratio()
    for r in rows:
        if period.start_key <= int(r["date_key"]) <= period.end_key:
            total += Ratio(float(r["ws"] or 0), float(r["w"] or 0))
    return total.value


def _trend(rows: Iterable[dict[str, Any]], grain: str, series: Any) -> dict[str, list[tuple[date, float]]]:
    sums: dict[str, dict[date, Ratio]] = defaultdict(lambda: defaultdict(Ratio))
    for r in rows:
        sums[str(series(r))][_bucket(r["date_key"], grain)] += Ratio(float(r["ws"] or 0), float(r["w"] or 0))
    out: dict[str, list[tuple[date, float]]] = {}
    for name in sorted(sums):
        points = [(day, ratio.value) for day, ratio in sorted(sums[name].items()) if ratio.value is not None]
        if points:
            out[name] = points  # type: ignore[assignment]
    return out


def _improvement(rows: list[dict[str, Any]], by: str) -> dict[str, tuple[float | None, float | None]]:
    raw: dict[str, Ratio] = defaultdict(Ratio)
    cleansed: dict[str, Ratio] = defaultdict(Ratio)
    for r in rows:
        raw[r[by]] += Ratio(float(r["rws"] or 0), float(r["rw"] or 0))
        cleansed[r[by]] += Ratio(float(r["cws"] or 0), float(r["cw"] or 0))
    return {k: (raw[k].value, cleansed[k].value) for k in sorted(raw)
            if raw[k].value is not None or cleansed[k].value is not None}


def _status_at(incident: dict[str, Any], end: datetime) -> str:
    if incident["resolved_at"] is not None and incident["resolved_at"] < end:
        return "resolved"
    if incident["acknowledged_at"] is not None and incident["acknowledged_at"] < end:
        return "acknowledged"
    return "open"


def _end_of(period: Period) -> datetime:
    """The first instant after the period (periods are whole days)."""
    return datetime.combine(period.end, time.min) + timedelta(days=1)


def _top_checks(checks: list[dict[str, Any]], incidents: list[dict[str, Any]], scope: Period) -> list[FailingCheck]:
    end = _end_of(scope)
    latest_incident: dict[tuple[str, str], dict[str, Any]] = {}
    for inc in sorted(incidents, key=lambda i: (i["opened_at"], i["incident_id"])):
        if inc["opened_at"] < end:
            latest_incident[(inc["dataset_name"], inc["check_id"])] = inc
    grouped: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in checks:
        grouped[(r["check_id"], r["dataset_name"], r["stage"])].append(r)
    out = []
    for (check_id, dataset, stage), rows in grouped.items():
        failures = sum(int(r["failures"]) for r in rows)
        if not failures:
            continue
        newest = max(rows, key=lambda r: r["check_version"] or 0)
        incident = latest_incident.get((dataset, check_id))
        out.append(FailingCheck(
            check_id=check_id, dataset_name=dataset, stage=stage, dimension_name=newest["dimension_name"],
            severity=newest["severity"], owner=newest["owner"],
            rule_version=int(newest["check_version"]) if newest["check_version"] is not None else None,
            results=sum(int(r["results"]) for r in rows), failures=failures,
            rows_failed=sum(int(r["rows_failed"]) for r in rows),
            rows_evaluated=sum(int(r["rows_evaluated"]) for r in rows),
            incident_status=_status_at(incident, end) if incident else "none",
        ))
    out.sort(key=lambda c: (-c.failures, -c.rows_failed, c.check_id, c.stage))
    return out[:TOP_CHECKS]


def _incidents(incidents: list[dict[str, Any]], scope: Period) -> Incidents:
    start = datetime.combine(scope.start, time.min)
    end = _end_of(scope)
    opened = [i for i in incidents if start <= i["opened_at"] < end]
    resolved = [i for i in incidents if i["resolved_at"] is not None and start <= i["resolved_at"] < end]
    still_open = [i for i in incidents
                  if i["opened_at"] < end and (i["resolved_at"] is None or i["resolved_at"] >= end)]
    hours = [(i["resolved_at"] - i["opened_at"]).total_seconds() / 3600 for i in resolved]
    return Incidents(
        opened=len(opened), resolved=len(resolved), open_at_end=len(still_open),
        mean_hours_to_resolve=sum(hours) / len(hours) if hours else None,
        open_critical_at_end=sum(1 for i in still_open if i["severity"] == "critical"),
    )


def _kpis(rows: list[dict[str, Any]], current: Period, grain: str) -> list[Kpi]:
    by_name: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_name[r["kpi_name"]].append(r)
    out = []
    for name, label, higher in KPI_LABELS:
        kpi_rows = by_name.get(name, [])
        if not kpi_rows:
            continue
        kind = kpi_rows[0]["kpi_kind"]
        trend_grain = "month" if kind == "snapshot" else grain
        buckets: dict[date, Ratio] = defaultdict(Ratio)
        for r in kpi_rows:
            if kind == "flow" and int(r["date_key"]) > current.end_key:
                continue
            buckets[_bucket(r["date_key"], trend_grain)] += _ratio(r)
        trend = [(d, v.value) for d, v in sorted(buckets.items()) if v.value is not None]
        out.append(Kpi(
            name=name, label=label, higher_is_better=higher, kind=kind,
            current=_kpi_value(kpi_rows, kind, current), previous=_kpi_value(kpi_rows, kind, current.previous()),
            trend=trend,  # type: ignore[arg-type]
            is_amount=name == "unapplied_cash",
        ))
    return out


def _ratio(r: dict[str, Any]) -> Ratio:
    return Ratio(float(r["numerator"] or 0), float(r["denominator"] or 0))


def _kpi_value(rows: list[dict[str, Any]], kind: str, period: Period) -> Ratio:
    """Flow KPIs add up over the period's days; snapshot KPIs are the state at the last month end on or
    before the end of the month holding the period's end."""
    if kind == "flow":
        total = Ratio()
        for r in rows:
            if period.start_key <= int(r["date_key"]) <= period.end_key:
                total += _ratio(r)
        return total
    cutoff = date_key(month(period.end).end)
    eligible = [r for r in rows if int(r["date_key"]) <= cutoff]
    if not eligible:
        return Ratio()
    return _ratio(max(eligible, key=lambda r: int(r["date_key"])))

