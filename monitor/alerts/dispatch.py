"""Persist and deliver alerts: every message is written to `dq_alert_log` (with its items in
`dq_alert_item`) before it is sent, then updated with its delivery status. Messages that failed are
retried on the next run, up to `alert_max_attempts`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from monitor.alerts import delivery
from monitor.alerts.blocks import AlertContent, CheckLine, build_message
from monitor.alerts.policy import Planned, plan_run
from monitor.alerts.redact import mask_value
from monitor.incidents import IncidentChanges, sync_incidents
from monitor.settings import Settings

log = logging.getLogger("utilityflow.alerts")


@dataclass
class DispatchReport:
    run_id: int | None
    destination: str
    alert_ids: list[int] = field(default_factory=list)
    sent: int = 0
    failed: int = 0
    logged: int = 0
    suppressed: int = 0
    retried: int = 0
    incidents: IncidentChanges | None = None


def dispatch_for_run(engine: Engine, run_id: int, settings: Settings, *, now: datetime | None = None) -> DispatchReport:
    """Incidents, then alerts, for one check run: retry earlier undelivered alerts, plan this run's
    messages, store and send them. Never raises for a Slack problem (the outcome is in the report and the
    alert log)."""
    at = _naive(now)
    mode = delivery.destination(settings)
    report = DispatchReport(run_id, mode)
    report.incidents = sync_incidents(engine, run_id, now=at)
    report.retried = retry_pending(engine, settings, now=at)
    with engine.begin() as conn:
        plan = plan_run(conn, run_id, settings, at, mode)
        stored = [(_store(conn, run_id, p, mode, at), p) for p in plan.messages]
    report.suppressed = len(plan.suppressed)
    for alert_id, planned in stored:
        outcome = _deliver(settings, planned.channel, _payload(planned))
        _record(engine, alert_id, outcome, at)
        report.alert_ids.append(alert_id)
        setattr(report, outcome.status, getattr(report, outcome.status) + 1)
        log.info("event=alert alert_id=%s run=%s batch=%s kind=%s channel=%s checks=%d outcome=%s", alert_id,
                 run_id, planned.batch_id, planned.kind, planned.channel, len(planned.keys), outcome.status)
    return report


def retry_pending(engine: Engine, settings: Settings, *, now: datetime | None = None) -> int:
    """Re-send alerts left pending or failed by earlier runs (while attempts remain). Returns how many
    were delivered now."""
    mode = delivery.destination(settings)
    if mode == "log":
        return 0
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT alert_id, channel, payload_json, destination FROM dq_alert_log WHERE status IN ('pending', "
            "'failed') AND attempts < :m AND destination = :d ORDER BY alert_id"),
            {"m": settings.alert_max_attempts, "d": mode}).all()
    delivered = 0
    for row in rows:
        outcome = _deliver(settings, row.channel, json.loads(row.payload_json))
        _record(engine, row.alert_id, outcome, _naive(now))
        delivered += outcome.status == "sent"
        log.info("event=alert_retry alert_id=%s outcome=%s", row.alert_id, outcome.status)
    return delivered


def send_test_alert(engine: Engine, settings: Settings, *, now: datetime | None = None) -> tuple[int, delivery.Outcome]:
    """A sample alert (masked sample values included) to the configured destination; stored like any other."""
    at = _naive(now)
    mode = delivery.destination(settings)
    line = CheckLine("cis_customer", "cis.customer.email_valid", "fail", "warning", "validity", "new",
                     observed=0.93, threshold=0.95, rows_failed=70, rows_evaluated=1000,
                     message="test alert from `utilityflow alerts test`",
                     samples=(("CUST-00042", mask_value("jane.doe@example.com", "email") or ""),
                              ("CUST-00043", mask_value("+1 555 867 5309", "phone") or "")))
    content = AlertContent("UtilityFlow test alert", ["cis_customer"], None, None, [line], settings.console_url)
    channel = settings.slack_channel if mode == "bot" else mode
    planned = Planned("test", channel, None, build_message(content),
                      [("test", "cis_customer", "cis.customer.email_valid", "test", None)])
    with engine.begin() as conn:
        alert_id = _store(conn, None, planned, mode, at)
    outcome = _deliver(settings, channel, _payload(planned))
    _record(engine, alert_id, outcome, at)
    return alert_id, outcome


def list_alerts(engine: Engine, *, status: str | None = None, limit: int = 50) -> list[sa.Row]:
    """Alerts, newest first, without payloads."""
    where = "WHERE status = :s" if status else ""
    with engine.connect() as conn:
        return list(conn.execute(sa.text(
            "SELECT alert_id, created_at, run_id, batch_id, kind, destination, channel, status, attempts, "
            f"dedup_key, response FROM dq_alert_log {where} ORDER BY alert_id DESC"), {"s": status}).fetchmany(limit))


def _payload(planned: Planned) -> dict[str, Any]:
    payload: dict[str, Any] = dict(planned.message)
    if planned.update:
        payload["update"] = planned.update
    return payload


def _deliver(settings: Settings, channel: str | None, payload: dict[str, Any]) -> delivery.Outcome:
    update = payload.get("update")
    message = {"text": payload["text"], "blocks": payload["blocks"]}
    if update and delivery.destination(settings) == "bot":
        return delivery.update_and_reply(settings, update["channel"], update["ts"], message, update["reply"])
    return delivery.post(settings, channel, message)


def _store(conn: Connection, run_id: int | None, planned: Planned, mode: str, at: datetime) -> int:
    key = f"{planned.channel}|batch:{planned.batch_id}|run:{run_id}|{planned.kind}"
    conn.execute(sa.text(
        "INSERT INTO dq_alert_log (run_id, batch_id, dedup_key, kind, destination, channel, payload_json, status, "
        "attempts, created_at) VALUES (:r, :b, :k, :kind, :d, :c, :p, 'pending', 0, :at)"),
        {"r": run_id, "b": planned.batch_id, "k": key[:300], "kind": planned.kind, "d": mode,
         "c": planned.channel[:80], "p": json.dumps(_payload(planned)), "at": at})
    alert_id = int(conn.execute(sa.text(
        "SELECT MAX(alert_id) FROM dq_alert_log WHERE dedup_key = :k"), {"k": key[:300]}).scalar_one())
    for dkey, dataset, check_id, kind, incident_id in planned.keys:
        conn.execute(sa.text(
            "INSERT INTO dq_alert_item (alert_id, dedup_key, dataset_name, check_id, kind, incident_id, status, "
            "created_at) VALUES (:a, :k, :d, :c, :kind, :i, :s, :at)"),
            {"a": alert_id, "k": dkey, "d": dataset, "c": check_id, "kind": kind, "i": incident_id,
             "s": planned.statuses.get(dkey), "at": at})
    return alert_id


def _record(engine: Engine, alert_id: int, outcome: delivery.Outcome, at: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(
            "UPDATE dq_alert_log SET status = :s, attempts = attempts + 1, response = :resp, "
            "slack_ts = COALESCE(:ts, slack_ts), sent_at = :sent WHERE alert_id = :a"),
            {"s": outcome.status, "resp": outcome.response[:1000], "ts": outcome.slack_ts,
             "sent": at if outcome.status == "sent" else None, "a": alert_id})


def _naive(now: datetime | None) -> datetime:
    at = now or datetime.now(UTC)
    return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at
