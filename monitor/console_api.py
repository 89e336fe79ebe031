"""The console's read API: every query the Streamlit console makes, returning small DataFrames.

Page code never writes SQL; it calls these functions with the warehouse URL and a `Filters` value. The
aggregation runs in the warehouse (the views of migrations 004 and 007); pandas only reshapes the few
rows that come back. The only writes are the incident actions at the end (acknowledge, resolve).

    >>> f = Filters(source="cis", date_from=date(2026, 1, 1))
    >>> score_trend("duckdb:///utilityflow.duckdb", f)   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from monitor.console_db import read
from monitor.masking import mask_pii

DIMENSIONS = ("completeness", "uniqueness", "validity", "accuracy", "consistency", "timeliness")
SEVERITIES = ("critical", "warning", "info")


@dataclass(frozen=True)
class Filters:
    """What the user narrowed the console to (all optional; kept in the URL's query parameters)."""

    date_from: date | None = None
    date_to: date | None = None
    source: str | None = None
    dataset: str | None = None
    owner: str | None = None
    dimension: str | None = None
    severity: str | None = None


@dataclass(frozen=True)
class Bands:
    """Quality bands: score >= good is good, >= warning is a warning, below is failing."""

    good: float = 0.90
    warning: float = 0.76

    def label(self, score: float | None) -> str:
        """'good', 'warning', 'failing', or 'no score'."""
        if score is None or pd.isna(score):
            return "no score"
        return "good" if score >= self.good else "warning" if score >= self.warning else "failing"


def date_key(d: date) -> int:
    """The warehouse's integer date key (YYYYMMDD)."""
    return d.year * 10000 + d.month * 100 + d.day


def key_to_date(key: int) -> date:
    """The date of a YYYYMMDD key."""
    return date(int(key) // 10000, int(key) // 100 % 100, int(key) % 100)


# Which column of a view each filter applies to; a view lacking a column ignores that filter.
_DAILY = {"date": "date_key", "source": "source", "dataset": "dataset_name", "owner": "owner",
          "dimension": "dimension_name", "severity": "severity"}


def conditions(f: Filters, cols: Mapping[str, str], *, dates: bool = True) -> tuple[list[str], dict[str, Any]]:
    """SQL conditions (bind parameters only; column names are ours) for the filters a view has columns for."""
    conds: list[str] = []
    params: dict[str, Any] = {}
    date_col = cols.get("date")
    if dates and date_col:
        if f.date_from:
            conds.append(f"{date_col} >= :date_from")
            params["date_from"] = date_key(f.date_from)
        if f.date_to:
            conds.append(f"{date_col} <= :date_to")
            params["date_to"] = date_key(f.date_to)
    for name in ("source", "dataset", "owner", "dimension", "severity"):
        value = getattr(f, name)
        if value and name in cols:
            conds.append(f"{cols[name]} = :{name}")
            params[name] = value
    if f.source and "source" not in cols and "dataset" in cols:  # e.g. incidents: a source is its datasets
        conds.append(f"{cols['dataset']} IN (SELECT DISTINCT dataset_name FROM v_dq_console_daily "
                     "WHERE source = :source)")
        params["source"] = f.source
    return conds, params


def where_sql(conds: list[str]) -> str:
    """` WHERE a AND b`, or nothing."""
    return (" WHERE " + " AND ".join(conds)) if conds else ""


# Console pages by name -> URL path (the overview is the app's root: Streamlit serves the default page there).
PAGES = {"overview": "", "datasets": "datasets", "check": "check", "batches": "batches", "incidents": "incidents",
         "alerts": "alerts"}
# Filters -> query parameter names, shared with the dashboard.
QUERY_PARAMS = {"date_from": "from", "date_to": "to", "source": "source", "dataset": "dataset", "owner": "owner",
                "dimension": "dimension", "severity": "severity"}


def page_url(base_url: str, page: str, filters: Filters | None = None, **params: str) -> str:
    """A link into the console that lands on `page` with `filters` (and page parameters such as `check`,
    `stage`, `batch`, `status`) applied; for Slack alerts and reports.

    >>> page_url("http://localhost:8501", "check", Filters(source="cis"), check="cis.customer.email_valid", stage="raw")
    'http://localhost:8501/check?source=cis&check=cis.customer.email_valid&stage=raw'
    """
    from urllib.parse import urlencode

    if page not in PAGES:
        raise ValueError(f"unknown console page {page!r}; pages: {', '.join(PAGES)}")
    query: dict[str, str] = {}
    for field, name in QUERY_PARAMS.items():
        value = getattr(filters, field) if filters else None
        if value:
            query[name] = value.isoformat() if isinstance(value, date) else str(value)
    query.update({k: v for k, v in params.items() if v})
    path = f"{base_url.rstrip('/')}/{PAGES[page]}"
    return path + (f"?{urlencode(query)}" if query else "")


# --- filter choices ------------------------------------------------------------------------------------

def filter_options(url: str) -> dict[str, Any]:
    """Values the filter widgets offer: sources, datasets, owners, and the first/last date with results.

    Read from the fact and check tables directly (distinct values need no de-duplication of re-runs), so
    it stays cheap on a long history."""
    df = read(url, "SELECT DISTINCT source, dataset_name FROM fact_data_quality")
    owners = read(url, "SELECT DISTINCT COALESCE(owner, 'unowned') AS owner FROM dim_check")
    bounds = read(url, "SELECT MIN(date_key) AS first_key, MAX(date_key) AS last_key FROM fact_data_quality")
    first, last = bounds.iloc[0]["first_key"], bounds.iloc[0]["last_key"]
    return {
        "sources": sorted(df["source"].dropna().unique().tolist()),
        "datasets": sorted(df["dataset_name"].dropna().unique().tolist()),
        "owners": sorted(owners["owner"].dropna().unique().tolist()),
        "dimensions": list(DIMENSIONS),
        "severities": list(SEVERITIES),
        "first_date": None if pd.isna(first) else key_to_date(first),
        "last_date": None if pd.isna(last) else key_to_date(last),
    }


# --- overview ------------------------------------------------------------------------------------------

def _roll(n: int) -> str:
    frame = (f"OVER (PARTITION BY grain, stage, dimension_name ORDER BY date_key "
             f"ROWS BETWEEN {n} PRECEDING AND CURRENT ROW)")
    return f"SUM(wss) {frame} / NULLIF(SUM(ws) {frame}, 0)"


def overview_scores(url: str, f: Filters) -> dict[str, pd.DataFrame]:
    """The overview's three score tables from ONE scan of the history (GROUPING SETS), so the page pays
    for de-duplicating re-runs once:

    - `trend`: date_key, stage, score, score_7d, score_30d, checks, checks_failed, checks_errored;
    - `dimensions`: dimension_name, stage, score, checks, checks_failed on the last day in range;
    - `improvement`: source, raw_score, cleansed_score, improvement over the range.

    Rolling scores divide rolling sums of weights (never average daily percentages) and look back
    before the range's first day.
    """
    conds, params = conditions(f, _DAILY, dates=False)
    if f.date_to:
        conds.append("date_key <= :date_to")
        params["date_to"] = date_key(f.date_to)
    params["from_key"] = date_key(f.date_from) if f.date_from else 0
    in_range = "CASE WHEN date_key >= :from_key THEN {col} ELSE 0 END"
    sql = f"""
WITH g AS (
    SELECT CASE WHEN GROUPING(date_key) = 1 THEN 'source'
                WHEN GROUPING(dimension_name) = 1 THEN 'day' ELSE 'day_dimension' END AS grain,
           date_key, stage, source, dimension_name,
           SUM(checks) AS checks, SUM(checks_failed) AS checks_failed, SUM(checks_errored) AS checks_errored,
           SUM(weighted_score_sum) AS wss, SUM(weight_sum) AS ws,
           SUM({in_range.format(col="weighted_score_sum")}) AS wss_range,
           SUM({in_range.format(col="weight_sum")}) AS ws_range
    FROM v_dq_console_daily{where_sql(conds)}
    GROUP BY GROUPING SETS ((date_key, stage), (date_key, stage, dimension_name), (stage, source))
)
SELECT grain, date_key, stage, source, dimension_name, checks, checks_failed, checks_errored,
       wss / NULLIF(ws, 0) AS score, wss_range / NULLIF(ws_range, 0) AS score_range,
       {_roll(6)} AS score_7d, {_roll(29)} AS score_30d
FROM g
ORDER BY grain, date_key, stage, source, dimension_name"""
    df = read(url, sql, params)
    from_key = params["from_key"]
    trend = df[(df["grain"] == "day") & (df["date_key"] >= from_key)]
    trend = trend[["date_key", "stage", "score", "score_7d", "score_30d", "checks", "checks_failed",
                   "checks_errored"]].reset_index(drop=True)
    by_dim = df[(df["grain"] == "day_dimension") & (df["date_key"] >= from_key)]
    last = by_dim["date_key"].max() if not by_dim.empty else None
    dims = by_dim[by_dim["date_key"] == last][["dimension_name", "stage", "score", "checks", "checks_failed"]]
    by_source = df[df["grain"] == "source"].pivot(index="source", columns="stage", values="score_range")
    improvement = pd.DataFrame({
        "source": by_source.index,
        "raw_score": by_source["raw"].to_numpy() if "raw" in by_source else float("nan"),
        "cleansed_score": by_source["cleansed"].to_numpy() if "cleansed" in by_source else float("nan"),
    })
    improvement["improvement"] = improvement["cleansed_score"] - improvement["raw_score"]
    return {"trend": trend, "dimensions": dims.reset_index(drop=True),
            "improvement": improvement.sort_values("source").reset_index(drop=True)}


def score_trend(url: str, f: Filters) -> pd.DataFrame:
    """Daily score per stage with 7- and 30-day rolling scores (see `overview_scores`)."""
    return overview_scores(url, f)["trend"]


def dimension_scores(url: str, f: Filters) -> pd.DataFrame:
    """Score per DAMA dimension and stage on the last day in range (see `overview_scores`)."""
    return overview_scores(url, f)["dimensions"]


def improvement_by_source(url: str, f: Filters) -> pd.DataFrame:
    """What cleansing improved per source over the range (see `overview_scores`)."""
    return overview_scores(url, f)["improvement"]


def headline(trend: pd.DataFrame) -> dict[str, Any]:
    """The overview's numbers for the last day of a `score_trend` frame: raw and cleansed score, the
    cleansed score 30 days earlier, checks run, failed and errored (errors are reported beside the score,
    never in it)."""
    out: dict[str, Any] = {"date_key": None, "raw": None, "cleansed": None, "cleansed_30d_ago": None,
                           "checks": 0, "checks_failed": 0, "checks_errored": 0}
    if trend.empty:
        return out
    last = int(trend["date_key"].max())
    out["date_key"] = last
    for stage in ("raw", "cleansed"):
        rows = trend[(trend["stage"] == stage) & (trend["date_key"] == last)]
        if not rows.empty:
            out[stage] = _num(rows.iloc[0]["score"])
    today = trend[trend["date_key"] == last]
    out["checks"] = int(today["checks"].sum())
    out["checks_failed"] = int(today["checks_failed"].sum())
    out["checks_errored"] = int(today["checks_errored"].sum())
    cleansed = trend[trend["stage"] == "cleansed"]
    earlier = cleansed[cleansed["date_key"] <= date_key(key_to_date(last) - timedelta(days=30))]
    if not earlier.empty:
        out["cleansed_30d_ago"] = _num(earlier.iloc[-1]["score"])
    return out


def latest_batches(url: str, f: Filters) -> pd.DataFrame:
    """One row per dataset and stage: its latest batch, that batch's score (critical cap applied) and
    failing checks, its owner."""
    conds, params = conditions(f, {"source": "source", "dataset": "dataset_name", "owner": "owner"})
    return read(url, f"SELECT * FROM v_dq_dataset_latest{where_sql(conds)} ORDER BY dataset_name, stage", params)


def coverage(url: str, f: Filters) -> pd.DataFrame:
    """Per dataset and stage: current checks, DAMA dimensions covered (of 6), columns with a check."""
    conds, params = conditions(f, {"dataset": "dataset_name", "owner": "owner"})
    where = where_sql(conds)
    return read(url, f"SELECT * FROM v_dq_coverage{where} ORDER BY dataset_name, stage", params)


# --- datasets ------------------------------------------------------------------------------------------

def datasets(url: str, f: Filters, spark_days: int = 30) -> pd.DataFrame:
    """One row per dataset and stage: owner, last batch, its score and failing checks, and `trend`, the
    daily scores of the last `spark_days` days in range (for a sparkline)."""
    latest = latest_batches(url, f)
    dconds, dparams = conditions(f, _DAILY)
    dwhere = where_sql(dconds)
    daily = read(url, f"""
SELECT dataset_name, stage, date_key, SUM(weighted_score_sum) / NULLIF(SUM(weight_sum), 0) AS score
FROM v_dq_console_daily{dwhere}
GROUP BY dataset_name, stage, date_key
ORDER BY dataset_name, stage, date_key""", dparams)
    spark: dict[tuple[str, str], list[float]] = {}
    for (name, stage), grp in daily.groupby(["dataset_name", "stage"], sort=False):
        spark[(name, stage)] = [round(float(s), 4) for s in grp["score"].tail(spark_days).dropna()]
    latest["trend"] = [spark.get((n, s), []) for n, s in zip(latest["dataset_name"], latest["stage"], strict=True)]
    return latest


def dataset_checks(url: str, dataset: str, f: Filters) -> pd.DataFrame:
    """The dataset's checks with their latest result in range."""
    conds, params = conditions(f, {"date": "date_key", "dimension": "dimension_name", "severity": "severity"})
    params["dataset_name"] = dataset
    where = where_sql(["dataset_name = :dataset_name", *conds])
    sql = f"""
SELECT check_id, stage, check_type, column_name, dimension_name, severity, owner, version, date_key,
       status, pass_rate, observed_value, rows_failed, message
FROM (
    SELECT h.*, ROW_NUMBER() OVER (PARTITION BY check_id, stage ORDER BY date_key DESC, run_id DESC) AS rn
    FROM v_dq_check_history h{where}
) x
WHERE rn = 1
ORDER BY CASE status WHEN 'fail' THEN 0 WHEN 'error' THEN 1 WHEN 'warn' THEN 2 ELSE 3 END, check_id, stage"""
    return read(url, sql, params)


def dataset_batches(url: str, dataset: str, f: Filters) -> pd.DataFrame:
    """The deliveries the dataset's results came from, with row conservation and the batch scores."""
    conds, params = conditions(f, {"date": "s.date_key"})
    params["dataset_name"] = dataset
    where = where_sql(["s.dataset_name = :dataset_name", *conds])
    sql = f"""
SELECT s.batch_id, s.stage, s.date_key, s.score, s.critical_failed, a.feed, a.file_name, a.rows_read,
       a.rows_loaded, a.rows_quarantined, a.rows_merged, a.rows_conserved, a.status
FROM v_dq_batch_score s
LEFT JOIN v_dq_batch_audit a ON a.batch_id = s.batch_id{where}
ORDER BY s.date_key DESC, s.batch_id DESC, s.stage"""
    return read(url, sql, params)


def schema_changes(url: str, dataset: str, f: Filters) -> pd.DataFrame:
    """Schema checks of the dataset that saw a change, newest first."""
    conds, params = conditions(f, {"date": "date_key"})
    params["dataset_name"] = dataset
    where = where_sql(["dataset_name = :dataset_name", *conds])
    return read(url, f"SELECT * FROM v_dq_schema_changes{where} ORDER BY date_key DESC, check_id", params)


# --- check detail --------------------------------------------------------------------------------------

def checks(url: str, f: Filters) -> pd.DataFrame:
    """Checks that have results matching the filters: check_id, stage, dataset_name, failures."""
    conds, params = conditions(f, _DAILY)
    where = where_sql(conds)
    sql = f"""
SELECT check_id, stage, dataset_name, SUM(CASE WHEN status = 'fail' THEN 1 ELSE 0 END) AS failures
FROM v_dq_check_history{where}
GROUP BY check_id, stage, dataset_name
ORDER BY failures DESC, check_id, stage"""
    return read(url, sql, params)


def check_history(url: str, check_id: str, stage: str, f: Filters) -> pd.DataFrame:
    """The check's results in range, oldest first: pass rate, observed value, thresholds, anomaly band,
    status and rule version."""
    conds, params = conditions(f, {"date": "date_key"})
    params.update(check_id=check_id, stage=stage)
    where = where_sql(["check_id = :check_id", "stage = :stage", *conds])
    return read(url, f"SELECT * FROM v_dq_check_history{where} ORDER BY date_key, run_id", params)


def check_versions(url: str, check_id: str, stage: str) -> pd.DataFrame:
    """Every version of the rule (SCD2): version, effective_from/to, definition hash, suite file."""
    sql = """
SELECT version, effective_from, effective_to, is_current, definition_hash, suite_file, severity, owner
FROM dim_check WHERE check_id = :check_id AND stage = :stage ORDER BY version"""
    return read(url, sql, {"check_id": check_id, "stage": stage})


def failed_samples(url: str, check_id: str, stage: str, limit: int = 20) -> pd.DataFrame:
    """The most recent failed-row samples of the check, PII-masked again here whatever the writer did."""
    sql = """
SELECT e.measured_at, e.batch_id, e.sample_no, e.row_key, e.column_name, e.offending_value
FROM fact_dq_error_event e
WHERE e.check_id = :check_id AND e.stage = :stage
ORDER BY e.run_id DESC, e.sample_no"""
    df = read(url, sql, {"check_id": check_id, "stage": stage}, limit=limit)
    df["offending_value"] = [mask_pii(v, c) for v, c in zip(df["offending_value"], df["column_name"], strict=True)]
    df["row_key"] = [mask_pii(v, None) for v in df["row_key"]]
    return df


def _num(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)
