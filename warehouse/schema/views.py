"""Reporting views for the console and Power BI, written once in PostgreSQL SQL.

`warehouse.render` transpiles each to DuckDB and T-SQL with sqlglot; tests run them on DuckDB and
PostgreSQL and parse the T-SQL. Keep to SQL that all three share (no dialect functions beyond CAST,
COALESCE, NULLIF, CASE, window functions). Scores aggregate row counts and severity weights, never
averages of percentages.
"""

from __future__ import annotations

from warehouse.schema import View

_WEIGHT = "CASE severity WHEN 'critical' THEN 3 WHEN 'warning' THEN 1 ELSE 0 END"

VIEWS: tuple[View, ...] = (
    View(
        "v_dq_result_latest",
        f"""
SELECT run_id, check_key, check_id, dataset_name, stage, batch_id, source, dimension_name, severity,
       date_key, rows_evaluated, rows_failed, observed_value, threshold_warn, threshold_fail,
       expected_low, expected_high, status, score, message, execution_ms, measured_at,
       {_WEIGHT} AS severity_weight
FROM (
    SELECT f.*, ROW_NUMBER() OVER (
        PARTITION BY check_id, dataset_name, stage, COALESCE(batch_id, -run_id)
        ORDER BY run_id DESC) AS rn
    FROM fact_data_quality f
) latest
WHERE rn = 1""",
        "The latest result of each check for each batch and stage (re-runs replace earlier ones).",
    ),
    View(
        "v_dq_daily_score",
        """
SELECT date_key, dataset_name, source, stage, dimension_name,
       COUNT(*) AS checks,
       SUM(CASE WHEN status = 'fail' THEN 1 ELSE 0 END) AS checks_failed,
       SUM(CASE WHEN status = 'warn' THEN 1 ELSE 0 END) AS checks_warned,
       SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END) AS checks_errored,
       SUM(COALESCE(rows_evaluated, 0)) AS rows_evaluated,
       SUM(COALESCE(rows_failed, 0)) AS rows_failed,
       SUM(CASE WHEN score IS NOT NULL THEN score * severity_weight ELSE 0 END) AS weighted_score_sum,
       SUM(CASE WHEN score IS NOT NULL THEN severity_weight ELSE 0 END) AS weight_sum,
       SUM(CASE WHEN score IS NOT NULL THEN score * severity_weight ELSE 0 END)
         / NULLIF(SUM(CASE WHEN score IS NOT NULL THEN severity_weight ELSE 0 END), 0) AS score
FROM v_dq_result_latest
GROUP BY date_key, dataset_name, source, stage, dimension_name""",
        "Daily score by dataset, source, stage and DAMA dimension (severity-weighted; sums kept so "
        "Power BI can re-aggregate without averaging percentages).",
    ),
    View(
        "v_dq_batch_score",
        """
SELECT batch_id, dataset_name, stage, source, date_key,
       AVG(dimension_score) AS uncapped_score,
       MAX(critical_failed) AS critical_failed,
       CASE WHEN MAX(critical_failed) = 1 AND AVG(dimension_score) > 0.5 THEN 0.5
            ELSE AVG(dimension_score) END AS score,
       COUNT(*) AS dimensions_scored
FROM (
    SELECT batch_id, dataset_name, stage, source, date_key, dimension_name,
           SUM(score * severity_weight) / NULLIF(SUM(severity_weight), 0) AS dimension_score,
           MAX(CASE WHEN severity = 'critical' AND status = 'fail' THEN 1 ELSE 0 END) AS critical_failed
    FROM v_dq_result_latest
    WHERE score IS NOT NULL
    GROUP BY batch_id, dataset_name, stage, source, date_key, dimension_name
) per_dimension
WHERE dimension_score IS NOT NULL
GROUP BY batch_id, dataset_name, stage, source, date_key""",
        "Batch score per stage: mean of dimension scores, capped at 0.5 when a critical check failed.",
    ),
    View(
        "v_dq_improvement",
        """
SELECT date_key, source, dimension_name,
       SUM(CASE WHEN stage = 'raw' THEN weighted_score_sum ELSE 0 END)
         / NULLIF(SUM(CASE WHEN stage = 'raw' THEN weight_sum ELSE 0 END), 0) AS raw_score,
       SUM(CASE WHEN stage = 'cleansed' THEN weighted_score_sum ELSE 0 END)
         / NULLIF(SUM(CASE WHEN stage = 'cleansed' THEN weight_sum ELSE 0 END), 0) AS cleansed_score,
       SUM(CASE WHEN stage = 'cleansed' THEN weighted_score_sum ELSE 0 END)
         / NULLIF(SUM(CASE WHEN stage = 'cleansed' THEN weight_sum ELSE 0 END), 0)
       - SUM(CASE WHEN stage = 'raw' THEN weighted_score_sum ELSE 0 END)
         / NULLIF(SUM(CASE WHEN stage = 'raw' THEN weight_sum ELSE 0 END), 0) AS improvement
FROM v_dq_daily_score
WHERE stage IN ('raw', 'cleansed')
GROUP BY date_key, source, dimension_name""",
        "What cleansing improved: cleansed minus raw score, by day, source and dimension.",
    ),
    View(
        "v_dq_top_failing_checks",
        """
SELECT check_id, dataset_name, stage, dimension_name, severity,
       COUNT(*) AS results,
       SUM(CASE WHEN status = 'fail' THEN 1 ELSE 0 END) AS failures,
       SUM(CASE WHEN status = 'warn' THEN 1 ELSE 0 END) AS warnings,
       SUM(COALESCE(rows_failed, 0)) AS rows_failed,
       SUM(COALESCE(rows_evaluated, 0)) AS rows_evaluated,
       MAX(CASE WHEN status = 'fail' THEN date_key END) AS last_failed_date_key,
       MAX(date_key) AS last_date_key
FROM v_dq_result_latest
GROUP BY check_id, dataset_name, stage, dimension_name, severity""",
        "Failures per check over its whole history; order by failures for the top failing checks.",
    ),
    View(
        "v_dq_open_incidents",
        """
SELECT incident_id, dedup_key, dataset_name, check_id, severity, status, opened_at, failing_runs,
       acknowledged_by, acknowledged_at, ack_note,
       CAST(opened_at AS DATE) AS opened_date
FROM dq_incident
WHERE status <> 'resolved'""",
        "Incidents not yet resolved.",
    ),
    View(
        "v_dq_batch_audit",
        """
SELECT batch_id, source, feed, file_name, file_sha256, encoding, received_at, rows_read, rows_loaded,
       rows_quarantined, rows_merged, started_at, finished_at, status, message, duplicate_of_batch_id,
       CASE WHEN rows_read = COALESCE(rows_loaded, 0) + COALESCE(rows_quarantined, 0)
                               + COALESCE(rows_merged, 0) THEN 1 ELSE 0 END AS rows_conserved,
       CAST(EXTRACT(YEAR FROM started_at) * 10000 + EXTRACT(MONTH FROM started_at) * 100
            + EXTRACT(DAY FROM started_at) AS INTEGER) AS date_key
FROM dim_batch""",
        "Every delivery with row conservation: read = loaded + quarantined + merged.",
    ),
    View(
        "v_dq_alerts",
        """
SELECT alert_id, run_id, batch_id, dedup_key, kind, destination, channel, status, attempts,
       response, created_at, sent_at
FROM dq_alert_log""",
        "Alerts sent (or logged), without payloads.",
    ),
    View(
        "v_kpi_contactability",
        """
SELECT COUNT(*) AS customers,
       SUM(CASE WHEN has_valid_email = TRUE THEN 1 ELSE 0 END) AS with_valid_email,
       SUM(CASE WHEN has_valid_phone = TRUE THEN 1 ELSE 0 END) AS with_valid_phone,
       SUM(CASE WHEN has_standard_address = TRUE THEN 1 ELSE 0 END) AS with_standard_address,
       SUM(CASE WHEN has_valid_email = TRUE OR has_valid_phone = TRUE THEN 1 ELSE 0 END) AS contactable
FROM dim_customer
WHERE is_current = TRUE""",
        "Contactability of current golden customers (counts; divide in the report).",
    ),
    View(
        "v_kpi_duplicate_customers",
        """
SELECT source, COUNT(*) AS source_records, COUNT(DISTINCT golden_customer_id) AS golden_customers,
       COUNT(*) - COUNT(DISTINCT golden_customer_id) AS duplicate_records
FROM customer_xref
WHERE is_current = TRUE
GROUP BY source""",
        "Duplicate-customer rate per source: records folded into an existing golden customer.",
    ),
    View(
        "v_kpi_ami_completeness",
        """
SELECT usage_date_key AS date_key,
       SUM(COALESCE(intervals_expected, 0)) AS intervals_expected,
       SUM(COALESCE(intervals_received, 0)) AS intervals_received,
       SUM(COALESCE(intervals_estimated, 0)) AS intervals_estimated,
       COUNT(*) AS service_point_days
FROM fact_daily_usage
GROUP BY usage_date_key""",
        "AMI read completeness per day (received / expected intervals) and estimation.",
    ),
    View(
        "v_kpi_bills_estimated",
        """
SELECT bill_date_key AS date_key,
       COUNT(DISTINCT bill_id) AS bills,
       COUNT(DISTINCT CASE WHEN is_estimated = TRUE THEN bill_id END) AS bills_estimated,
       COUNT(DISTINCT CASE WHEN bill_type IN ('cancel', 'rebill') THEN bill_id END) AS bills_cancel_rebill
FROM fact_billing_line
GROUP BY bill_date_key""",
        "Bills per day, estimated and cancel/rebill (regulators watch > 2% estimated).",
    ),
    View(
        "v_kpi_unapplied_cash",
        """
SELECT payment_date_key AS date_key,
       COUNT(*) AS payments,
       SUM(amount) AS amount,
       SUM(CASE WHEN is_unapplied = TRUE THEN 1 ELSE 0 END) AS unapplied_payments,
       SUM(CASE WHEN is_unapplied = TRUE THEN amount ELSE 0 END) AS unapplied_amount
FROM fact_payment
GROUP BY payment_date_key""",
        "Unapplied cash: payments whose account number matched no account.",
    ),
    View(
        "v_kpi_gis_link",
        """
SELECT COUNT(*) AS premises,
       SUM(CASE WHEN in_cis = TRUE AND in_gis = TRUE THEN 1 ELSE 0 END) AS linked,
       SUM(CASE WHEN in_cis = TRUE AND (in_gis IS NULL OR in_gis = FALSE) THEN 1 ELSE 0 END) AS cis_only,
       SUM(CASE WHEN in_gis = TRUE AND (in_cis IS NULL OR in_cis = FALSE) THEN 1 ELSE 0 END) AS gis_only
FROM dim_premise
WHERE is_current = TRUE""",
        "GIS-CIS premise link coverage: how far reliability indices can be trusted.",
    ),
)
