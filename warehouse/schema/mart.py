"""The data-quality mart: Kimball's audit dimension and error-event schema, plus incidents and alerts.

Grain of `fact_data_quality`: one check x one batch x one stage per run. Every measured metric lands in
`fact_dq_metric` (the history anomaly detection learns from), bounded and PII-masked failed-row samples
in `fact_dq_error_event`.
"""

from __future__ import annotations

from warehouse.schema import Column, Table

C = Column

DIM_DQ_DIMENSION = Table(
    "dim_dq_dimension", "mart",
    (
        C("dimension_key", "smallint", nullable=False),
        C("dimension_name", "str", nullable=False, length=16),
        C("description", "str", length=300),
        C("business_kpi", "str", length=200, doc="the business number this dimension drives"),
    ),
    primary_key=("dimension_key",), distribution="REPLICATE",
    doc="The six DAMA dimensions.",
)

DIM_DATASET = Table(
    "dim_dataset", "mart",
    (
        C("dataset_key", "bigint", nullable=False, identity=True),
        C("dataset_name", "str", nullable=False, length=128),
        C("stage", "str", nullable=False, length=16, doc="raw | cleansed | star"),
        C("source", "str", length=16, doc="cis | mdm | crm | payments | workorders | gis | NULL"),
        C("owner", "str", length=64),
        C("slack_channel", "str", length=80),
        C("description", "str", length=500),
        C("updated_at", "timestamp", nullable=False),
    ),
    primary_key=("dataset_key",), distribution="REPLICATE",
)

DIM_CHECK = Table(
    "dim_check", "mart",
    (
        C("check_key", "bigint", nullable=False, identity=True),
        C("check_id", "str", nullable=False, length=200),
        C("version", "int", nullable=False),
        C("dataset_name", "str", nullable=False, length=128),
        C("stage", "str", nullable=False, length=16),
        C("check_type", "str", nullable=False, length=64),
        C("column_name", "str", length=256),
        C("dimension_name", "str", nullable=False, length=16),
        C("severity", "str", nullable=False, length=16),
        C("owner", "str", length=64),
        C("definition_json", "text", nullable=False),
        C("definition_hash", "str", nullable=False, length=64),
        C("suite_file", "str", length=400),
        C("effective_from", "timestamp", nullable=False),
        C("effective_to", "timestamp"),
        C("is_current", "bool", nullable=False),
    ),
    primary_key=("check_key",), distribution="REPLICATE",
    doc="Check definitions, SCD2 on the definition: a changed threshold starts a new version.",
)

DIM_BATCH = Table(
    "dim_batch", "mart",
    (
        C("batch_id", "bigint", nullable=False, identity=True),
        C("source", "str", nullable=False, length=16),
        C("feed", "str", nullable=False, length=64),
        C("file_name", "str", nullable=False, length=400),
        C("file_sha256", "str", nullable=False, length=64),
        C("file_size_bytes", "bigint"),
        C("encoding", "str", length=32, doc="utf-8, utf-8-sig or latin-1 (a fallback is noted)"),
        C("received_at", "timestamp"),
        C("extract_from", "timestamp"),
        C("extract_to", "timestamp"),
        C("code_version", "str", length=40),
        C("ruleset_version", "str", length=64),
        C("rows_read", "bigint"),
        C("rows_loaded", "bigint"),
        C("rows_quarantined", "bigint"),
        C("rows_merged", "bigint"),
        C("started_at", "timestamp", nullable=False),
        C("finished_at", "timestamp"),
        C("status", "str", nullable=False, length=16, doc="running | loaded | failed | skipped"),
        C("message", "str", length=2000),
        C("duplicate_of_batch_id", "bigint", doc="for a skipped re-delivery: the batch that loaded it"),
    ),
    primary_key=("batch_id",), distribution="REPLICATE",
    doc="Audit dimension: one row per delivered file, with row conservation counts.",
)

DQ_RUN = Table(
    "dq_run", "mart",
    (
        C("run_id", "bigint", nullable=False, identity=True),
        C("started_at", "timestamp", nullable=False),
        C("finished_at", "timestamp"),
        C("trigger", "str", length=32, doc="cli | schedule | demo"),
        C("statements", "int", doc="SQL statements the run issued"),
        C("checks_run", "int"),
        C("status", "str", nullable=False, length=16, doc="running | done | failed"),
        C("code_version", "str", length=40),
    ),
    primary_key=("run_id",), distribution="REPLICATE",
)

FACT_DATA_QUALITY = Table(
    "fact_data_quality", "fact",
    (
        C("run_id", "bigint", nullable=False),
        C("check_key", "bigint", nullable=False),
        C("check_id", "str", nullable=False, length=200),
        C("dataset_key", "bigint"),
        C("dataset_name", "str", nullable=False, length=128),
        C("stage", "str", nullable=False, length=16),
        C("batch_id", "bigint", doc="NULL for a whole-table check"),
        C("source", "str", length=16),
        C("dimension_key", "smallint"),
        C("dimension_name", "str", nullable=False, length=16),
        C("severity", "str", nullable=False, length=16),
        C("date_key", "int", nullable=False, doc="business date of the batch (or of the run)"),
        C("rows_evaluated", "bigint"),
        C("rows_failed", "bigint"),
        C("observed_value", "double"),
        C("threshold_warn", "double"),
        C("threshold_fail", "double"),
        C("expected_low", "double", doc="anomaly band, when the check has one"),
        C("expected_high", "double"),
        C("status", "str", nullable=False, length=8, doc="pass | warn | fail | error | skipped"),
        C("score", "double", doc="NULL when the check errored or was skipped"),
        C("message", "str", length=2000),
        C("execution_ms", "int"),
        C("measured_at", "timestamp", nullable=False),
    ),
    # No primary key: the grain (run, check_key, stage, batch_id) has a NULL batch for whole-table checks,
    # which a key cannot hold; monitor.store writes each grain once per run (tested).
    distribution="HASH", hash_column="check_id",
    doc="One row per check x batch x stage and run.",
)

FACT_DQ_METRIC = Table(
    "fact_dq_metric", "fact",
    (
        C("run_id", "bigint", nullable=False),
        C("metric_hash", "str", nullable=False, length=64),
        C("metric_name", "str", nullable=False, length=64),
        C("dataset_name", "str", nullable=False, length=128),
        C("stage", "str", nullable=False, length=16),
        C("column_name", "str", length=256),
        C("batch_id", "bigint"),
        C("date_key", "int", nullable=False),
        C("value", "double"),
        C("measured_at", "timestamp", nullable=False),
    ),
    distribution="HASH", hash_column="metric_hash",  # grain: run x metric x batch (no key: NULL batch)
)

FACT_DQ_ERROR_EVENT = Table(
    "fact_dq_error_event", "fact",
    (
        C("run_id", "bigint", nullable=False),
        C("check_key", "bigint", nullable=False),
        C("check_id", "str", nullable=False, length=200),
        C("batch_id", "bigint"),
        C("stage", "str", nullable=False, length=16),
        C("sample_no", "int", nullable=False),
        C("row_key", "str", length=400, doc="natural key or source row number of the failing row"),
        C("column_name", "str", length=256),
        C("offending_value", "str", length=400, doc="PII-masked"),
        C("measured_at", "timestamp", nullable=False),
    ),
    distribution="HASH", hash_column="check_id",  # grain: run x check x stage x batch x sample (no key)
    doc="Bounded, masked failed-row samples.",
)

DQ_INCIDENT = Table(
    "dq_incident", "mart",
    (
        C("incident_id", "bigint", nullable=False, identity=True),
        C("dedup_key", "str", nullable=False, length=300, doc="dataset + check id"),
        C("dataset_name", "str", nullable=False, length=128),
        C("check_id", "str", nullable=False, length=200),
        C("severity", "str", length=16),
        C("status", "str", nullable=False, length=16, doc="open | acknowledged | resolved"),
        C("opened_at", "timestamp", nullable=False),
        C("first_run_id", "bigint"),
        C("last_run_id", "bigint"),
        C("failing_runs", "int", nullable=False, default="1"),
        C("acknowledged_by", "str", length=100),
        C("acknowledged_at", "timestamp"),
        C("ack_note", "str", length=1000),
        C("resolved_by", "str", length=100),
        C("resolved_at", "timestamp"),
        C("resolve_reason", "str", length=1000),
    ),
    primary_key=("incident_id",), distribution="REPLICATE",
)

DQ_ALERT_LOG = Table(
    "dq_alert_log", "mart",
    (
        C("alert_id", "bigint", nullable=False, identity=True),
        C("run_id", "bigint"),
        C("batch_id", "bigint"),
        C("dedup_key", "str", nullable=False, length=300),
        C("kind", "str", nullable=False, length=16, doc="new | still_failing | resolved | test"),
        C("destination", "str", nullable=False, length=16, doc="webhook | bot | log"),
        C("channel", "str", length=80),
        C("payload_json", "text", doc="the Block Kit payload as sent (PII-masked)"),
        C("status", "str", nullable=False, length=16, doc="pending | sent | failed | logged"),
        C("attempts", "int", nullable=False, default="0"),
        C("response", "str", length=1000),
        C("slack_ts", "str", length=32, doc="message timestamp, for chat.update and threads"),
        C("created_at", "timestamp", nullable=False),
        C("sent_at", "timestamp"),
    ),
    primary_key=("alert_id",), distribution="REPLICATE",
)

TABLES: tuple[Table, ...] = (
    DIM_DQ_DIMENSION, DIM_DATASET, DIM_CHECK, DIM_BATCH, DQ_RUN, FACT_DATA_QUALITY, FACT_DQ_METRIC,
    FACT_DQ_ERROR_EVENT, DQ_INCIDENT, DQ_ALERT_LOG,
)

_DIMENSIONS = (
    (1, "completeness", "Required values are present.", "AMI read success, % bills estimated"),
    (2, "uniqueness", "Each real-world thing is recorded once.", "duplicate-customer rate"),
    (3, "validity", "Values conform to format, type and range.", "contactability, unapplied cash"),
    (4, "accuracy", "Values agree with the real world or a trusted source.", "billing accuracy"),
    (5, "consistency", "Values agree across datasets and systems.", "GIS-CIS link coverage, cancel/rebill rate"),
    (6, "timeliness", "Data arrives and is current when needed.", "days sales outstanding, read latency"),
)

# Idempotent reference rows (portable SQL: every dialect runs these as written).
SEED: tuple[str, ...] = tuple(
    "INSERT INTO dim_dq_dimension (dimension_key, dimension_name, description, business_kpi) "
    f"SELECT {k}, '{n}', '{d}', '{b}' WHERE NOT EXISTS "
    f"(SELECT 1 FROM dim_dq_dimension WHERE dimension_key = {k})"
    for k, n, d, b in _DIMENSIONS
)
