"""Views the Streamlit console reads (migration 007), written once in PostgreSQL SQL like the reporting views.

They keep the console's aggregation in the warehouse: the console filters and groups these small views
instead of pulling facts into pandas. Scores stay sums of severity weights (never averages of percentages),
so any filter the console applies re-aggregates them correctly.
"""

from __future__ import annotations

from warehouse.schema import View

VIEWS: tuple[View, ...] = (
    View(
        "v_dq_console_daily",
        """
SELECT r.date_key, r.dataset_name, r.source, r.stage, r.dimension_name, r.severity,
       COALESCE(c.owner, 'unowned') AS owner,
       COUNT(*) AS checks,
       SUM(CASE WHEN r.status = 'fail' THEN 1 ELSE 0 END) AS checks_failed,
       SUM(CASE WHEN r.status = 'warn' THEN 1 ELSE 0 END) AS checks_warned,
       SUM(CASE WHEN r.status = 'error' THEN 1 ELSE 0 END) AS checks_errored,
       SUM(COALESCE(r.rows_evaluated, 0)) AS rows_evaluated,
       SUM(COALESCE(r.rows_failed, 0)) AS rows_failed,
       SUM(CASE WHEN r.score IS NOT NULL THEN r.score * r.severity_weight ELSE 0 END) AS weighted_score_sum,
       SUM(CASE WHEN r.score IS NOT NULL THEN r.severity_weight ELSE 0 END) AS weight_sum
FROM v_dq_result_latest r
LEFT JOIN dim_check c ON c.check_key = r.check_key
GROUP BY r.date_key, r.dataset_name, r.source, r.stage, r.dimension_name, r.severity,
         COALESCE(c.owner, 'unowned')""",
        "Daily score sums at the grain of every console filter (date, dataset, source, stage, dimension, "
        "severity, owner): filter, then divide SUM(weighted_score_sum) by SUM(weight_sum).",
    ),
    View(
        "v_dq_check_history",
        """
SELECT r.check_id, r.dataset_name, r.stage, r.source, r.dimension_name, r.severity, r.run_id, r.batch_id,
       r.date_key, r.rows_evaluated, r.rows_failed,
       CASE WHEN r.rows_evaluated > 0 THEN 1.0 - (1.0 * COALESCE(r.rows_failed, 0)) / r.rows_evaluated
       END AS pass_rate,
       r.observed_value, r.threshold_warn, r.threshold_fail, r.expected_low, r.expected_high, r.status,
       r.score, r.message, r.measured_at, r.check_key,
       c.version, c.check_type, c.column_name, COALESCE(c.owner, 'unowned') AS owner
FROM v_dq_result_latest r
LEFT JOIN dim_check c ON c.check_key = r.check_key""",
        "Each check's results over time with pass rate, thresholds, anomaly band and rule version.",
    ),
    View(
        "v_dq_dataset_latest",
        """
SELECT f.dataset_name, f.stage, f.source, f.batch_id AS last_batch_id, f.date_key AS last_date_key,
       s.score, COALESCE(s.critical_failed, 0) AS critical_failed, cov.owner, cov.checks AS checks_defined,
       f.checks_run, f.checks_failed, f.checks_warned, f.checks_errored
FROM (
    SELECT g.*, ROW_NUMBER() OVER (
        PARTITION BY dataset_name, stage ORDER BY date_key DESC, batch_ref DESC) AS rn
    FROM (
        SELECT dataset_name, stage, MAX(source) AS source, batch_id, COALESCE(batch_id, -1) AS batch_ref,
               date_key, COUNT(*) AS checks_run,
               SUM(CASE WHEN status = 'fail' THEN 1 ELSE 0 END) AS checks_failed,
               SUM(CASE WHEN status = 'warn' THEN 1 ELSE 0 END) AS checks_warned,
               SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END) AS checks_errored
        FROM v_dq_result_latest
        GROUP BY dataset_name, stage, batch_id, date_key
    ) g
) f
LEFT JOIN v_dq_batch_score s
  ON s.dataset_name = f.dataset_name AND s.stage = f.stage AND COALESCE(s.batch_id, -1) = f.batch_ref
 AND s.date_key = f.date_key
LEFT JOIN (
    SELECT dataset_name, stage, MAX(owner) AS owner, COUNT(*) AS checks
    FROM dim_check
    WHERE is_current = TRUE
    GROUP BY dataset_name, stage
) cov ON cov.dataset_name = f.dataset_name AND cov.stage = f.stage
WHERE f.rn = 1""",
        "One row per dataset and stage with results: its latest batch, that batch's score (NULL when only "
        "unweighted or errored checks ran) and failing checks, its owner.",
    ),
    View(
        "v_dq_coverage",
        """
SELECT dataset_name, stage, MAX(owner) AS owner, COUNT(*) AS checks,
       COUNT(DISTINCT dimension_name) AS dimensions_covered,
       COUNT(DISTINCT column_name) AS columns_checked
FROM dim_check
WHERE is_current = TRUE
GROUP BY dataset_name, stage""",
        "Coverage of the current checks: DAMA dimensions (of 6) and columns with at least one check.",
    ),
    View(
        "v_dq_quarantine_reasons",
        """
SELECT batch_id, feed, reason_code, column_name, COUNT(*) AS rows_quarantined,
       MAX(quarantined_at) AS last_quarantined_at
FROM quarantine
GROUP BY batch_id, feed, reason_code, column_name""",
        "Why rows were quarantined, per batch, feed, reason code and column.",
    ),
    View(
        "v_dq_schema_changes",
        """
SELECT check_id, dataset_name, stage, batch_id, date_key, status, message, measured_at
FROM v_dq_check_history
WHERE check_type = 'schema' AND status IN ('fail', 'warn', 'error')""",
        "Schema checks that saw a change (columns or types differing from the declared schema).",
    ),
)
