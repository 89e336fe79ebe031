"""The console's operational reads (batches, incidents, alerts) and its only writes: incident actions.

Acknowledge and resolve go through the monitor's incident API (`monitor.incidents`: open -> acknowledged
-> resolved, with who, when, why, and an event trail); this module adds what a web form needs on top:
a who that is not blank, a short-lived read-write connection, and the busy-warehouse retry.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from monitor import incidents as incidents_api
from monitor.console_api import Filters, conditions, date_key, where_sql
from monitor.console_db import read, write

INCIDENT_STATUSES = ("open", "acknowledged", "resolved")


# The console reports the monitor's incident errors (unknown id, wrong state) and its own alike.
IncidentActionError = incidents_api.IncidentError


# --- batches -------------------------------------------------------------------------------------------

def batches(url: str, f: Filters) -> pd.DataFrame:
    """Every delivery in range (newest first) with rows read/loaded/quarantined/merged, whether the rows
    are conserved, and the load's duration in seconds."""
    conds, params = conditions(f, {"date": "date_key", "source": "source"})
    df = read(url, f"""
SELECT batch_id, source, feed, file_name, received_at, started_at, finished_at, status, rows_read, rows_loaded,
       rows_quarantined, rows_merged, rows_conserved, duplicate_of_batch_id, message, date_key
FROM v_dq_batch_audit{where_sql(conds)}
ORDER BY started_at DESC, batch_id DESC""", params)
    finished = pd.to_datetime(df["finished_at"])
    started = pd.to_datetime(df["started_at"])
    df["duration_s"] = (finished - started).dt.total_seconds()
    return df


def quarantine_reasons(url: str, f: Filters, batch_id: int | None = None) -> pd.DataFrame:
    """Quarantined rows by feed, reason code and column over the batches in range (or of one batch)."""
    conds, params = conditions(f, {"date": "a.date_key", "source": "a.source"})
    if batch_id is not None:
        conds.append("q.batch_id = :batch_id")
        params["batch_id"] = int(batch_id)
    return read(url, f"""
SELECT q.feed, q.reason_code, q.column_name, SUM(q.rows_quarantined) AS rows_quarantined,
       COUNT(DISTINCT q.batch_id) AS batches
FROM v_dq_quarantine_reasons q
JOIN v_dq_batch_audit a ON a.batch_id = q.batch_id{where_sql(conds)}
GROUP BY q.feed, q.reason_code, q.column_name
ORDER BY rows_quarantined DESC, q.feed, q.reason_code""", params)


# --- incidents -----------------------------------------------------------------------------------------

def incidents(url: str, f: Filters, statuses: tuple[str, ...] = INCIDENT_STATUSES) -> pd.DataFrame:
    """Incidents opened in range, newest first, with hours to acknowledge and to resolve."""
    conds, params = conditions(f, {"dataset": "dataset_name", "severity": "severity"})
    if f.date_from:
        conds.append("opened_at >= :opened_from")
        params["opened_from"] = datetime.combine(f.date_from, datetime.min.time())
    if f.date_to:
        conds.append("opened_at <= :opened_to")
        params["opened_to"] = datetime.combine(f.date_to, datetime.max.time())
    marks = []
    for i, status in enumerate(statuses):
        marks.append(f":status_{i}")
        params[f"status_{i}"] = status
    conds.append(f"status IN ({', '.join(marks)})")
    df = read(url, f"""
SELECT incident_id, status, severity, dataset_name, check_id, opened_at, failing_runs, acknowledged_by,
       acknowledged_at, ack_note, resolved_by, resolved_at, resolve_reason, last_run_id
FROM dq_incident{where_sql(conds)}
ORDER BY opened_at DESC, incident_id DESC""", params)
    opened = pd.to_datetime(df["opened_at"])
    df["hours_to_ack"] = (pd.to_datetime(df["acknowledged_at"]) - opened).dt.total_seconds() / 3600
    df["hours_to_resolve"] = (pd.to_datetime(df["resolved_at"]) - opened).dt.total_seconds() / 3600
    return df


def incident_counts(url: str, f: Filters) -> dict[str, int]:
    """How many incidents are open, acknowledged and resolved (dataset/severity filters apply)."""
    conds, params = conditions(f, {"dataset": "dataset_name", "severity": "severity"})
    df = read(url, f"SELECT status, COUNT(*) AS n FROM dq_incident{where_sql(conds)} GROUP BY status", params)
    counts = {s: 0 for s in INCIDENT_STATUSES}
    counts.update({str(s): int(n) for s, n in zip(df["status"], df["n"], strict=True)})
    return counts


def _who(who: str) -> str:
    who = (who or "").strip()
    if not who:
        raise IncidentActionError("say who you are: incident actions record who took them.")
    return who


def acknowledge_incident(url: str, incident_id: int, who: str, note: str = "") -> None:
    """Mark an open incident acknowledged by `who`, with an optional note ("looking at it"), through the
    monitor's incident API (which also records the event and the time to acknowledge)."""
    by = _who(who)
    write(url, lambda engine: incidents_api.acknowledge(engine, int(incident_id), by, (note or "").strip()))


def resolve_incident(url: str, incident_id: int, who: str, reason: str) -> None:
    """Resolve an open or acknowledged incident, recording who and why (the reason is required)."""
    by = _who(who)
    reason = (reason or "").strip()
    if not reason:
        raise IncidentActionError("give a reason: a resolved incident records why it was closed.")
    write(url, lambda engine: incidents_api.resolve(engine, int(incident_id), by, reason))


# --- alerts --------------------------------------------------------------------------------------------

def alerts(url: str, f: Filters, status: str | None = None) -> pd.DataFrame:
    """Alerts created in range, newest first: kind, destination, channel, delivery status and attempts."""
    conds: list[str] = []
    params: dict[str, Any] = {}
    if f.date_from:
        conds.append("created_at >= :created_from")
        params["created_from"] = datetime.combine(f.date_from, datetime.min.time())
    if f.date_to:
        conds.append("created_at <= :created_to")
        params["created_to"] = datetime.combine(f.date_to, datetime.max.time())
    if status:
        conds.append("status = :status")
        params["status"] = status
    return read(url, f"""
SELECT alert_id, created_at, kind, destination, channel, status, attempts, sent_at, response, dedup_key,
       run_id, batch_id
FROM v_dq_alerts{where_sql(conds)}
ORDER BY created_at DESC, alert_id DESC""", params)


__all__ = [
    "INCIDENT_STATUSES", "IncidentActionError", "acknowledge_incident", "alerts", "batches", "date_key",
    "incident_counts", "incidents", "quarantine_reasons", "resolve_incident",
]
