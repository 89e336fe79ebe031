"""The alert policy: from one run's results to the messages worth sending.

- one message per batch run and channel, grouping every failed, errored and warned check; above
  `alert_summary_threshold` checks it becomes a summary with the worst few;
- dedup key per (dataset, check): a key already alerted within the suppression window (default 24 h) is
  counted, not repeated; after the window it comes back as "still failing (N runs)";
- a key that was alerted and now passes gets a "resolved" message — with a bot token, by updating the
  original message and replying in its thread;
- a failed critical check mentions the channel.
Reads the mart; writes nothing (`dispatch` persists and sends).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from monitor.alerts.blocks import AlertContent, CheckLine, Message, build_message, resolved_update
from monitor.alerts.redact import mask_text, mask_value
from monitor.incidents import dedup_key
from monitor.settings import Settings

_RANK = {"fail": 3, "error": 2, "warn": 1}


@dataclass
class Planned:
    """One message to persist and send."""

    kind: str  # new | still_failing | resolved
    channel: str
    batch_id: int | None
    message: Message
    keys: list[tuple[str, str, str, str, int | None]]  # (dedup key, dataset, check id, kind, incident id)
    statuses: dict[str, str] = field(default_factory=dict)
    update: dict[str, Any] | None = None  # bot: {"channel", "ts", "reply"} to chat.update + thread reply


@dataclass
class Plan:
    messages: list[Planned]
    suppressed: list[str]


def plan_run(conn: Connection, run_id: int, settings: Settings, now: datetime, mode: str) -> Plan:
    """The messages for `run_id`. `mode` is the destination (bot | webhook | log): only a bot can
    update the original message and use per-owner channels."""
    rows = conn.execute(sa.text(
        "SELECT dataset_name, check_id, check_key, batch_id, stage, status, severity, dimension_name, "
        "observed_value, threshold_fail, expected_low, expected_high, rows_failed, rows_evaluated, message "
        "FROM fact_data_quality WHERE run_id = :r ORDER BY dataset_name, check_id, stage"), {"r": run_id}).all()
    worst: dict[str, Any] = {}
    passing: dict[str, Any] = {}
    statuses: dict[str, set[str]] = {}
    for row in rows:
        key = dedup_key(row.dataset_name, row.check_id)
        statuses.setdefault(key, set()).add(row.status)
        if row.status in _RANK and (key not in worst or _RANK[row.status] > _RANK[worst[key].status]):
            worst[key] = row
        if row.status == "pass":
            passing[key] = row
    last = _last_items(conn, set(statuses))
    incidents = {r.dedup_key: r for r in conn.execute(sa.text(
        "SELECT dedup_key, incident_id, failing_runs, opened_at FROM dq_incident "
        "WHERE status IN ('open', 'acknowledged')")).all()}
    window = timedelta(hours=settings.alert_suppression_hours)

    groups: dict[tuple[int | None, str], list[tuple[CheckLine, Any, int | None]]] = {}
    suppressed: list[str] = []
    for key, row in worst.items():
        prev = last.get(key)
        incident = incidents.get(key)
        in_episode = prev is not None and prev["kind"] != "resolved" and not (
            incident is not None and incident.opened_at > prev["first_at"])
        if prev is not None and in_episode and now - prev["alerted_at"] < window:
            suppressed.append(key)
            continue
        kind = "still_failing" if in_episode else "new"
        failing_runs = incident.failing_runs if incident is not None else _failing_runs(conn, row.check_id, prev)
        line = _line(conn, run_id, row, kind, failing_runs)
        channel = _channel(conn, row.dataset_name, settings, mode)
        groups.setdefault((row.batch_id, channel), []).append(
            (line, row, incident.incident_id if incident is not None else None))

    planned: list[Planned] = []
    for (batch_id, channel), entries in sorted(groups.items(), key=lambda kv: (kv[0][0] or 0, kv[0][1])):
        lines = [e[0] for e in entries]
        n_fail = sum(c.status == "fail" for c in lines)
        datasets = sorted({c.dataset_name for c in lines})
        kind = "new" if any(c.kind == "new" for c in lines) else "still_failing"
        title = (f"Data quality: {n_fail} failed, {len(lines) - n_fail} warned/errored — {', '.join(datasets)}"
                 if kind == "new" else f"Still failing: {len(lines)} checks — {', '.join(datasets)}")
        before, after = _scores(conn, run_id, batch_id, datasets)
        content = AlertContent(
            title=title, dataset_names=datasets, batch_id=batch_id, run_id=run_id, lines=lines,
            console_url=settings.console_url, score_before=before, score_after=after,
            summary_threshold=settings.alert_summary_threshold,
            suppressed=sum(1 for k in suppressed if _batch_of(worst[k]) == batch_id),
            mention_channel=any(c.severity == "critical" and c.status == "fail" for c in lines),
        )
        planned.append(Planned(kind, channel, batch_id, build_message(content), [
            (dedup_key(c.dataset_name, c.check_id), c.dataset_name, c.check_id, c.kind, inc)
            for c, _, inc in entries], {dedup_key(c.dataset_name, c.check_id): c.status for c in lines}))
    planned += _resolved(conn, run_id, passing, statuses, last, settings, mode)
    return Plan(planned, suppressed)


def _resolved(conn: Connection, run_id: int, passing: dict[str, Any], statuses: dict[str, set[str]],
              last: dict[str, dict[str, Any]], settings: Settings, mode: str) -> list[Planned]:
    keys = [k for k in passing if statuses[k] == {"pass"} and k in last and last[k]["kind"] != "resolved"]
    by_target: dict[tuple[Any, ...], list[str]] = {}
    originals: dict[int, Any] = {}
    for key in keys:
        original = conn.execute(sa.text(
            "SELECT alert_id, destination, channel, slack_ts, payload_json FROM dq_alert_log WHERE alert_id = :a"),
            {"a": last[key]["first_alert_id"]}).first()
        if mode == "bot" and original is not None and original.destination == "bot" and original.slack_ts:
            originals[original.alert_id] = original
            by_target.setdefault(("update", original.alert_id), []).append(key)
        else:
            row = passing[key]
            by_target.setdefault(("post", _channel(conn, row.dataset_name, settings, mode)), []).append(key)
    out: list[Planned] = []
    for target, group in sorted(by_target.items(), key=lambda kv: str(kv[0])):
        lines = [CheckLine(passing[k].dataset_name, passing[k].check_id, "pass", passing[k].severity,
                           passing[k].dimension_name, "resolved") for k in group]
        keys_meta: list[tuple[str, str, str, str, int | None]] = [
            (k, str(passing[k].dataset_name), str(passing[k].check_id), "resolved", None) for k in group]
        names = ", ".join(c.check_id for c in lines)
        if target[0] == "update":
            import json

            original = originals[target[1]]
            message = resolved_update(json.loads(original.payload_json), lines)
            out.append(Planned("resolved", original.channel, None, message, keys_meta, {k: "pass" for k in group},
                               {"channel": original.channel, "ts": original.slack_ts,
                                "reply": f":white_check_mark: Resolved in run {run_id}: {names}"}))
        else:
            datasets = sorted({c.dataset_name for c in lines})
            content = AlertContent(f"Resolved: {len(lines)} checks pass again — {', '.join(datasets)}", datasets,
                                   passing[group[0]].batch_id, run_id, lines, settings.console_url)
            out.append(Planned("resolved", target[1], passing[group[0]].batch_id, build_message(content),
                               keys_meta, {k: "pass" for k in group}))
    return out


def _last_items(conn: Connection, keys: set[str]) -> dict[str, dict[str, Any]]:
    """Per key: the latest item's kind, when it was last alerted (new/still failing), and the first alert
    of its current episode (since the last 'resolved')."""
    if not keys:
        return {}
    rows = conn.execute(sa.text(
        "SELECT dedup_key, alert_id, kind, created_at FROM dq_alert_item WHERE dedup_key IN :k AND kind <> 'test' "
        "ORDER BY created_at, alert_id").bindparams(sa.bindparam("k", expanding=True)), {"k": sorted(keys)}).all()
    out: dict[str, dict[str, Any]] = {}
    for key, alert_id, kind, created in rows:
        entry = out.get(key)
        if entry is None or entry["kind"] == "resolved":
            entry = out[key] = {"first_alert_id": alert_id, "first_at": created}
        entry["kind"] = kind
        if kind != "resolved":
            entry["alerted_at"] = created
    return out


def _failing_runs(conn: Connection, check_id: str, prev: dict[str, Any] | None) -> int:
    since = prev["first_at"] if prev else datetime(1900, 1, 1)
    return int(conn.execute(sa.text(
        "SELECT COUNT(DISTINCT f.run_id) FROM fact_data_quality f JOIN dq_run r ON r.run_id = f.run_id "
        "WHERE f.check_id = :c AND f.status IN ('fail', 'warn', 'error') AND r.started_at >= :s"),
        {"c": check_id, "s": since}).scalar_one()) or 1


def _line(conn: Connection, run_id: int, row: Any, kind: str, failing_runs: int) -> CheckLine:
    samples = conn.execute(sa.text(
        "SELECT row_key, column_name, offending_value FROM fact_dq_error_event WHERE run_id = :r AND "
        "check_key = :k AND stage = :s ORDER BY sample_no"), {"r": run_id, "k": row.check_key, "s": row.stage}
    ).fetchmany(3)
    return CheckLine(
        row.dataset_name, row.check_id, row.status, row.severity, row.dimension_name, kind,
        observed=row.observed_value, threshold=row.threshold_fail, expected_low=row.expected_low,
        expected_high=row.expected_high, rows_failed=row.rows_failed, rows_evaluated=row.rows_evaluated,
        message=mask_text(row.message or "")[:500], failing_runs=failing_runs,
        samples=tuple((mask_text(str(s.row_key or "")), mask_value(s.offending_value, s.column_name) or "NULL")
                      for s in samples),
    )


def _channel(conn: Connection, dataset: str, settings: Settings, mode: str) -> str:
    if mode != "bot":
        return mode  # one webhook = one channel; the log has none
    channel = conn.execute(sa.text(
        "SELECT MAX(slack_channel) FROM dim_dataset WHERE dataset_name = :d"), {"d": dataset}).scalar()
    return channel or settings.slack_channel


def _scores(conn: Connection, run_id: int, batch_id: int | None, datasets: list[str]) -> tuple[float | None, ...]:
    batch = "batch_id IS NULL" if batch_id is None else "batch_id = :b"
    rows = conn.execute(sa.text(
        "SELECT stage, AVG(score) FROM fact_data_quality WHERE run_id = :r AND dataset_name IN :d AND "
        f"score IS NOT NULL AND {batch} GROUP BY stage"
    ).bindparams(sa.bindparam("d", expanding=True)), {"r": run_id, "d": datasets, "b": batch_id}).all()
    by_stage = {s: float(v) for s, v in rows if v is not None}
    return by_stage.get("raw"), by_stage.get("cleansed")


def _batch_of(row: Any) -> int | None:
    return row.batch_id
