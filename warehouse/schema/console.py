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
SELECT b.dataset_name, b.stage, b.source, b.batch_id AS last_batch_id, b.date_key AS last_date_key,
       CASE WHEN b.critical_failed = 1 AND b.uncapped_score > 0.5 THEN 0.5 ELSE b.uncapped_score END AS score,
       b.critical_failed, cov.owner, cov.checks AS checks_defined, b.checks_run, b.checks_failed,
       b.checks_warned, b.checks_errored
FROM (
    SELECT dataset_name, stage, MAX(source) AS source, MAX(batch_id) AS batch_id, MAX(date_key) AS date_key,
           AVG(dimension_score) AS uncapped_score, MAX(critical_failed) AS critical_failed,
           SUM(checks_run) AS checks_run, SUM(checks_failed) AS checks_failed,
           SUM(checks_warned) AS checks_warned, SUM(checks_errored) AS checks_errored
    FROM (
        SELECT dataset_name, stage, batch_ref, dimension_name, MAX(source) AS source, MAX(batch_id) AS batch_id,
               MAX(date_key) AS date_key,
               SUM(CASE WHEN score IS NOT NULL THEN score * severity_weight END)
                 / NULLIF(SUM(CASE WHEN score IS NOT NULL THEN severity_weight END), 0) AS dimension_score,
               MAX(CASE WHEN severity = 'critical' AND status = 'fail' THEN 1 ELSE 0 END) AS critical_failed,
               COUNT(*) AS checks_run,
               SUM(CASE WHEN status = 'fail' THEN 1 ELSE 0 END) AS checks_failed,
               SUM(CASE WHEN status = 'warn' THEN 1 ELSE 0 END) AS checks_warned,
               SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END) AS checks_errored
        FROM (
            SELECT f.dataset_name, f.stage, f.source, f.batch_id, f.batch_id AS batch_ref,
                   f.date_key, f.dimension_name, f.severity, f.status, f.score,
                   CASE f.severity WHEN 'critical' THEN 3 WHEN 'warning' THEN 1 ELSE 0 END AS severity_weight,
                   ROW_NUMBER() OVER (
                       PARTITION BY f.check_id, f.dataset_name, f.stage, f.batch_id
                       ORDER BY f.run_id DESC) AS rn
            FROM fact_data_quality f
            JOIN (
                SELECT dataset_name, stage, MAX(batch_id) AS batch_id
                FROM fact_data_quality
                WHERE batch_id IS NOT NULL
                GROUP BY dataset_name, stage
            ) last_batch
              ON last_batch.dataset_name = f.dataset_name AND last_batch.stage = f.stage
             AND last_batch.batch_id = f.batch_id
        ) latest_batch_results
        WHERE rn = 1
        GROUP BY dataset_name, stage, batch_ref, dimension_name
    ) per_dimension
    GROUP BY dataset_name, stage
) b
LEFT JOIN (
    SELECT dataset_name, stage, MAX(owner) AS owner, COUNT(*) AS checks
    FROM dim_check
    WHERE is_current = TRUE
    GROUP BY dataset_name, stage
) cov ON cov.dataset_name = b.dataset_name AND cov.stage = b.stage""",
        "One row per dataset and stage with batch results: its latest batch (highest batch id; whole-table "
        "results without a batch are not a batch), that batch's score (mean of "
        "severity-weighted dimension scores, capped at 0.5 when a critical check failed, as in "
        "v_dq_batch_score; NULL when only unweighted or errored checks ran), failing checks and owner. "
        "Only the latest batch's results are de-duplicated, so it stays fast on a long history.",
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

# Migration 010 redefines the quarantine view of 007, which also counted the rows of a batch still `running`:
# on DuckDB a large file is staged in committed chunks, and a killed load leaves them until the next writer
# discards them (loaders.live). Only published batches' rows count.
QUARANTINE_REASONS_OF_LOADED_BATCHES = View(
    "v_dq_quarantine_reasons",
    """
SELECT q.batch_id, q.feed, q.reason_code, q.column_name, COUNT(*) AS rows_quarantined,
       MAX(q.quarantined_at) AS last_quarantined_at
FROM quarantine q
JOIN dim_batch b ON b.batch_id = q.batch_id AND b.status = 'loaded'
GROUP BY q.batch_id, q.feed, q.reason_code, q.column_name""",
    "Why rows of loaded batches were quarantined, per batch, feed, reason code and column.",
)
