"""Migration 008: reporting views shaped for Power BI and the executive report.

Star-friendly: every fact-like view carries a `date_key` (YYYYMMDD) that joins `v_pbi_date`, and keeps the
sums a ratio is built from (weighted score sums, numerators and denominators) so that any slice re-aggregates
from counts, never by averaging percentages. Aggregates are CAST to one type (sums of counts to BIGINT, of
scores to DOUBLE PRECISION), because SUM's result type differs by dialect and the Power BI model types each
column once. Written once in PostgreSQL SQL and transpiled by sqlglot (see
`warehouse.views` for the rules: CAST, COALESCE, NULLIF, CASE, window functions only).

Snapshot KPIs (contactability, duplicate customers, GIS-CIS links) come from SCD2 history: a dimension
version counts at a month end when it was effective on that day, so the trend is the state of the star as it
was, not today's state copied backwards.
"""

from __future__ import annotations

from warehouse.schema import View

# Month ends of the calendar: the last date_key of each year_month.
_MONTH_ENDS = (
    "SELECT year_month, MAX(date_key) AS date_key, MAX(full_date) AS month_end FROM dim_date GROUP BY year_month"
)


def _valid_at_month_end(alias: str, start: str, end: str) -> str:
    """A version is counted at a month end when it started on or before it and had not ended by then."""
    return (
        f"CAST({alias}.{start} AS DATE) <= m.month_end "
        f"AND ({alias}.{end} IS NULL OR CAST({alias}.{end} AS DATE) > m.month_end)"
    )


def _bounded(start: str, table: str) -> str:
    """Month ends from the first month the table has history up to the latest month anything happened
    (a version started, or a batch was loaded): later month ends would repeat the last state."""
    return (
        f"m.month_end >= (SELECT MIN(CAST({start} AS DATE)) FROM {table}) "
        "AND m.year_month <= (SELECT MAX(d.year_month) FROM dim_date d "
        f"WHERE d.full_date <= (SELECT MAX(CAST({start} AS DATE)) FROM {table}) "
        "OR d.full_date <= (SELECT MAX(CAST(started_at AS DATE)) FROM dim_batch))"
    )


VIEWS: tuple[View, ...] = (
    View(
        "v_pbi_date",
        """
SELECT date_key, full_date, year, quarter, month, month_name, year_month, day_of_month, day_of_week,
       day_name, is_weekend
FROM dim_date""",
        "The calendar for Power BI's date table (one row per day, date_key YYYYMMDD).",
    ),
    View(
        "v_pbi_dq_score",
        """
SELECT date_key, dataset_name, COALESCE(source, 'none') AS source, stage, dimension_name,
       CAST(checks AS BIGINT) AS checks, CAST(checks_failed AS BIGINT) AS checks_failed,
       CAST(checks_warned AS BIGINT) AS checks_warned, CAST(checks_errored AS BIGINT) AS checks_errored,
       CAST(rows_evaluated AS BIGINT) AS rows_evaluated, CAST(rows_failed AS BIGINT) AS rows_failed,
       CAST(weighted_score_sum AS DOUBLE PRECISION) AS weighted_score_sum,
       CAST(weight_sum AS BIGINT) AS weight_sum
FROM v_dq_daily_score""",
        "Daily score inputs by dataset, source, stage and DAMA dimension: score = "
        "SUM(weighted_score_sum) / SUM(weight_sum) over any slice.",
    ),
    View(
        "v_pbi_dq_improvement",
        """
SELECT date_key, COALESCE(source, 'none') AS source, dimension_name,
       CAST(SUM(CASE WHEN stage = 'raw' THEN weighted_score_sum ELSE 0 END) AS DOUBLE PRECISION)
         AS raw_weighted_score_sum,
       CAST(SUM(CASE WHEN stage = 'raw' THEN weight_sum ELSE 0 END) AS BIGINT) AS raw_weight_sum,
       CAST(SUM(CASE WHEN stage = 'cleansed' THEN weighted_score_sum ELSE 0 END) AS DOUBLE PRECISION)
         AS cleansed_weighted_score_sum,
       CAST(SUM(CASE WHEN stage = 'cleansed' THEN weight_sum ELSE 0 END) AS BIGINT) AS cleansed_weight_sum
FROM v_dq_daily_score
WHERE stage IN ('raw', 'cleansed')
GROUP BY date_key, COALESCE(source, 'none'), dimension_name""",
        "What cleansing improved, as re-aggregable sums: improvement = cleansed score - raw score.",
    ),
    View(
        "v_pbi_check_result",
        """
SELECT r.date_key, r.run_id, r.batch_id, r.check_key, r.check_id, c.version AS check_version,
       r.dataset_name, r.stage, COALESCE(r.source, 'none') AS source, r.dimension_name, r.severity,
       r.severity_weight, c.owner, r.status, r.rows_evaluated, r.rows_failed, r.score, r.measured_at
FROM v_dq_result_latest r
LEFT JOIN dim_check c ON c.check_key = r.check_key""",
        "Latest result of each check per batch and stage, with the version of the rule that produced it.",
    ),
    View(
        "v_pbi_incident",
        """
SELECT incident_id, dataset_name, check_id, severity, status, opened_at, acknowledged_at, resolved_at,
       failing_runs,
       CAST(EXTRACT(YEAR FROM opened_at) * 10000 + EXTRACT(MONTH FROM opened_at) * 100
            + EXTRACT(DAY FROM opened_at) AS INTEGER) AS opened_date_key,
       CAST(EXTRACT(YEAR FROM resolved_at) * 10000 + EXTRACT(MONTH FROM resolved_at) * 100
            + EXTRACT(DAY FROM resolved_at) AS INTEGER) AS resolved_date_key,
       CASE WHEN status <> 'resolved' THEN 1 ELSE 0 END AS is_open
FROM dq_incident""",
        "Every incident with the date keys it was opened and resolved on (no people's names).",
    ),
    View(
        "v_pbi_kpi",
        f"""
SELECT m.date_key, 'contactability' AS kpi_name, 'snapshot' AS kpi_kind,
       CAST(SUM(CASE WHEN c.has_valid_email = TRUE OR c.has_valid_phone = TRUE THEN 1 ELSE 0 END)
            AS DOUBLE PRECISION) AS numerator,
       CAST(COUNT(*) AS DOUBLE PRECISION) AS denominator
FROM ({_MONTH_ENDS}) m
JOIN dim_customer c ON {_valid_at_month_end('c', 'effective_from', 'effective_to')}
WHERE {_bounded('effective_from', 'dim_customer')}
GROUP BY m.date_key
UNION ALL
SELECT m.date_key, 'valid_email', 'snapshot',
       CAST(SUM(CASE WHEN c.has_valid_email = TRUE THEN 1 ELSE 0 END) AS DOUBLE PRECISION),
       CAST(COUNT(*) AS DOUBLE PRECISION)
FROM ({_MONTH_ENDS}) m
JOIN dim_customer c ON {_valid_at_month_end('c', 'effective_from', 'effective_to')}
WHERE {_bounded('effective_from', 'dim_customer')}
GROUP BY m.date_key
UNION ALL
SELECT m.date_key, 'valid_phone', 'snapshot',
       CAST(SUM(CASE WHEN c.has_valid_phone = TRUE THEN 1 ELSE 0 END) AS DOUBLE PRECISION),
       CAST(COUNT(*) AS DOUBLE PRECISION)
FROM ({_MONTH_ENDS}) m
JOIN dim_customer c ON {_valid_at_month_end('c', 'effective_from', 'effective_to')}
WHERE {_bounded('effective_from', 'dim_customer')}
GROUP BY m.date_key
UNION ALL
SELECT m.date_key, 'standard_address', 'snapshot',
       CAST(SUM(CASE WHEN c.has_standard_address = TRUE THEN 1 ELSE 0 END) AS DOUBLE PRECISION),
       CAST(COUNT(*) AS DOUBLE PRECISION)
FROM ({_MONTH_ENDS}) m
JOIN dim_customer c ON {_valid_at_month_end('c', 'effective_from', 'effective_to')}
WHERE {_bounded('effective_from', 'dim_customer')}
GROUP BY m.date_key
UNION ALL
SELECT per_source.date_key, 'duplicate_customer_rate', 'snapshot',
       CAST(SUM(per_source.records - per_source.golden) AS DOUBLE PRECISION),
       CAST(SUM(per_source.records) AS DOUBLE PRECISION)
FROM (
    SELECT m.date_key, x.source, COUNT(*) AS records, COUNT(DISTINCT x.golden_customer_id) AS golden
    FROM ({_MONTH_ENDS}) m
    JOIN customer_xref x ON {_valid_at_month_end('x', 'valid_from', 'valid_to')}
    WHERE {_bounded('valid_from', 'customer_xref')}
    GROUP BY m.date_key, x.source
) per_source
GROUP BY per_source.date_key
UNION ALL
SELECT m.date_key, 'gis_link_coverage', 'snapshot',
       CAST(SUM(CASE WHEN p.in_cis = TRUE AND p.in_gis = TRUE THEN 1 ELSE 0 END) AS DOUBLE PRECISION),
       CAST(COUNT(*) AS DOUBLE PRECISION)
FROM ({_MONTH_ENDS}) m
JOIN dim_premise p ON {_valid_at_month_end('p', 'effective_from', 'effective_to')}
WHERE {_bounded('effective_from', 'dim_premise')}
GROUP BY m.date_key
UNION ALL
SELECT usage_date_key, 'ami_read_completeness', 'flow',
       CAST(SUM(COALESCE(intervals_received, 0)) AS DOUBLE PRECISION),
       CAST(SUM(COALESCE(intervals_expected, 0)) AS DOUBLE PRECISION)
FROM fact_daily_usage
GROUP BY usage_date_key
UNION ALL
SELECT bill_date_key, 'bills_estimated_rate', 'flow',
       CAST(COUNT(DISTINCT CASE WHEN is_estimated = TRUE THEN bill_id END) AS DOUBLE PRECISION),
       CAST(COUNT(DISTINCT bill_id) AS DOUBLE PRECISION)
FROM fact_billing_line
WHERE bill_date_key IS NOT NULL
GROUP BY bill_date_key
UNION ALL
SELECT payment_date_key, 'unapplied_cash', 'flow',
       CAST(SUM(CASE WHEN is_unapplied = TRUE THEN amount ELSE 0 END) AS DOUBLE PRECISION),
       CAST(SUM(amount) AS DOUBLE PRECISION)
FROM fact_payment
WHERE payment_date_key IS NOT NULL
GROUP BY payment_date_key""",
        "Business KPIs data quality drives, long format (date_key, kpi_name, numerator, denominator). "
        "'snapshot' KPIs are the star's state at each month end (SCD2 versions effective that day; take the "
        "latest month end of a period), 'flow' KPIs are daily and add up over any period.",
    ),
)
