"""Operations tables (migration 006): the scheduler's run ledger and delivery log, alert items, and the
incident event trail.

- `ops_schedule_run`: one row per (job, scheduled time). Claiming the slot is an INSERT on that key, so a
  job that already ran for a slot does not run again, after a restart too.
- `ops_delivery`: every file a job picked up from its drop folder, keyed on (job, sha256): a file seen
  before is not loaded twice, and a bad file is recorded with its error instead of blocking the job.
- `dq_alert_item`: which (dataset, check) dedup keys one alert message carried, and as what (new, still
  failing, resolved): the suppression window and the "resolved" update are decided from it.
- `dq_incident_event`: every state change of an incident with who, when and the seconds since it opened:
  time to acknowledge and time to resolve, stored for reporting.
"""

from __future__ import annotations

from warehouse.schema import Column, Table

C = Column

OPS_SCHEDULE_RUN = Table(
    "ops_schedule_run", "system",
    (
        C("job_name", "str", nullable=False, length=100),
        C("scheduled_for", "timestamp", nullable=False, doc="the cron slot (UTC)"),
        C("started_at", "timestamp", nullable=False),
        C("finished_at", "timestamp"),
        C("status", "str", nullable=False, length=16, doc="running | done | partial | failed | interrupted"),
        C("attempts", "int", nullable=False, default="0"),
        C("deliveries", "int", doc="files picked up"),
        C("batches", "int", doc="batches loaded"),
        C("run_id", "bigint", doc="the check run (dq_run) of the last delivery"),
        C("error_kind", "str", length=16, doc="transient | terminal"),
        C("message", "str", length=2000),
        C("host", "str", length=100),
        C("pid", "int"),
    ),
    primary_key=("job_name", "scheduled_for"), distribution="REPLICATE",
    doc="Scheduler run ledger: one row per job and cron slot.",
)

OPS_DELIVERY = Table(
    "ops_delivery", "system",
    (
        C("job_name", "str", nullable=False, length=100),
        C("file_sha256", "str", nullable=False, length=64),
        C("file_name", "str", nullable=False, length=400),
        C("file_size_bytes", "bigint"),
        C("scheduled_for", "timestamp", nullable=False, doc="the slot that picked it up"),
        C("status", "str", nullable=False, length=16, doc="loaded | failed"),
        C("batch_id", "bigint"),
        C("run_id", "bigint"),
        C("message", "str", length=2000),
        C("picked_at", "timestamp", nullable=False),
    ),
    primary_key=("job_name", "file_sha256"), distribution="REPLICATE",
    doc="Files picked up from drop folders, once each.",
)

DQ_ALERT_ITEM = Table(
    "dq_alert_item", "mart",
    (
        C("alert_id", "bigint", nullable=False),
        C("dedup_key", "str", nullable=False, length=300, doc="dataset + check id"),
        C("dataset_name", "str", nullable=False, length=128),
        C("check_id", "str", nullable=False, length=200),
        C("kind", "str", nullable=False, length=16, doc="new | still_failing | resolved | test"),
        C("incident_id", "bigint"),
        C("status", "str", length=8, doc="the check's status in that run"),
        C("created_at", "timestamp", nullable=False),
    ),
    primary_key=("alert_id", "dedup_key"), distribution="REPLICATE",
    doc="The (dataset, check) keys one alert message carried.",
)

DQ_INCIDENT_EVENT = Table(
    "dq_incident_event", "mart",
    (
        C("incident_id", "bigint", nullable=False),
        C("event_no", "int", nullable=False),
        C("event", "str", nullable=False, length=16, doc="opened | failing | acknowledged | resolved"),
        C("event_at", "timestamp", nullable=False),
        C("actor", "str", length=100, doc="who (a user, or 'auto')"),
        C("note", "str", length=1000),
        C("run_id", "bigint"),
        C("seconds_since_open", "bigint", doc="time to acknowledge / time to resolve"),
    ),
    primary_key=("incident_id", "event_no"), distribution="REPLICATE",
    doc="Incident state changes, with the time since the incident opened.",
)

TABLES: tuple[Table, ...] = (OPS_SCHEDULE_RUN, OPS_DELIVERY, DQ_ALERT_ITEM, DQ_INCIDENT_EVENT)
