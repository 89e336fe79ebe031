"""The console's operational reads (batches, incidents, alerts) and its only writes: incident actions.

Acknowledge and resolve are minimal here so the console works before the monitor's incident module
lands; they follow the `dq_incident` life cycle (open -> acknowledged -> resolved, with who, when, why)
and refuse any other transition. (The monitor's incident module owns opening and auto-resolving; the lead
reconciles these two functions with it once it lands.)
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa

from monitor.console_api import Filters, conditions, date_key, where_sql
from monitor.console_db import read, write
from monitor.errors import EXIT_USAGE, MonitorError

INCIDENT_STATUSES = ("open", "acknowledged", "resolved")


class IncidentActionError(MonitorError):
    """An incident action the life cycle does not allow, or without the who."""

    code = "incident_action"
    exit_code = EXIT_USAGE


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


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)  # the mart stores naive UTC timestamps


def _transition(url: str, incident_id: int, allowed_from: tuple[str, ...], updates: dict[str, Any]) -> None:
    def work(conn: sa.Connection) -> None:
        row = conn.execute(sa.text("SELECT status FROM dq_incident WHERE incident_id = :i"),
                           {"i": int(incident_id)}).first()
        if row is None:
            raise IncidentActionError(f"incident {incident_id} does not exist; refresh the incidents page.")
        if row[0] not in allowed_from:
            raise IncidentActionError(
                f"incident {incident_id} is {row[0]}; it can be {updates['status']} only when "
                f"{' or '.join(allowed_from)}."
            )
        sets = ", ".join(f"{col} = :{col}" for col in updates)
        conn.execute(sa.text(f"UPDATE dq_incident SET {sets} WHERE incident_id = :incident_id"),
                     {**updates, "incident_id": int(incident_id)})

    write(url, work)


def _who(who: str) -> str:
    who = (who or "").strip()
    if not who:
        raise IncidentActionError("say who you are: incident actions record who took them.")
    return who[:100]


def acknowledge_incident(url: str, incident_id: int, who: str, note: str = "") -> None:
    """Mark an open incident acknowledged by `who`, with an optional note ("looking at it")."""
    _transition(url, incident_id, ("open",), {
        "status": "acknowledged", "acknowledged_by": _who(who), "acknowledged_at": _now(),
        "ack_note": (note or "").strip()[:1000] or None,
    })


def resolve_incident(url: str, incident_id: int, who: str, reason: str) -> None:
    """Resolve an open or acknowledged incident, recording who and why (the reason is required)."""
    reason = (reason or "").strip()
    if not reason:
        raise IncidentActionError("give a reason: a resolved incident records why it was closed.")
    _transition(url, incident_id, ("open", "acknowledged"), {
        "status": "resolved", "resolved_by": _who(who), "resolved_at": _now(), "resolve_reason": reason[:1000],
    })


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
