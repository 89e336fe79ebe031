"""Incidents: a failing check opens one (or attaches to the open one of its dedup key); people
acknowledge it; it resolves itself when the check passes again, or by hand with a reason.

open -> acknowledged -> resolved. Every change is also an event in `dq_incident_event` with the seconds
since the incident opened, so time to acknowledge and time to resolve are stored for reporting.
The dedup key is `<dataset>:<check id>`: the same key the alert policy groups and suppresses on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from monitor.errors import EXIT_USAGE, MonitorError

OPEN_STATES = ("open", "acknowledged")


class IncidentError(MonitorError):
    """An incident command the user can fix (unknown id, wrong state)."""

    code = "incident_error"
    exit_code = EXIT_USAGE


@dataclass(frozen=True)
class Incident:
    incident_id: int
    dedup_key: str
    dataset_name: str
    check_id: str
    severity: str | None
    status: str
    opened_at: datetime
    failing_runs: int
    first_run_id: int | None
    last_run_id: int | None
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    ack_note: str | None = None
    resolved_by: str | None = None
    resolved_at: datetime | None = None
    resolve_reason: str | None = None

    @property
    def seconds_to_ack(self) -> int | None:
        return _seconds(self.opened_at, self.acknowledged_at)

    @property
    def seconds_to_resolve(self) -> int | None:
        return _seconds(self.opened_at, self.resolved_at)


@dataclass
class IncidentChanges:
    """What one run did to the incidents."""

    opened: list[Incident] = field(default_factory=list)
    continued: list[Incident] = field(default_factory=list)
    resolved: list[Incident] = field(default_factory=list)


def dedup_key(dataset_name: str, check_id: str) -> str:
    """The key incidents and alerts share for one (dataset, check)."""
    return f"{dataset_name}:{check_id}"


def sync_incidents(engine: Engine, run_id: int, *, now: datetime | None = None) -> IncidentChanges:
    """Open, continue or auto-resolve incidents from the results of `run_id`.

    A key whose results in the run include a `fail` opens an incident or counts one more failing run on
    its open one; a key whose results all `pass` resolves its open incident (by 'auto'). Warnings,
    errors and skipped checks leave incidents as they are: the data did not pass, nor fail."""
    at = _naive(now)
    changes = IncidentChanges()
    with engine.begin() as conn:
        rows = conn.execute(sa.text(
            "SELECT dataset_name, check_id, status, severity FROM fact_data_quality WHERE run_id = :r"
        ), {"r": run_id}).all()
        by_key: dict[str, tuple[str, str, set[str], str]] = {}
        for ds, check_id, status, severity in rows:
            key = dedup_key(ds, check_id)
            entry = by_key.setdefault(key, (ds, check_id, set(), severity))
            entry[2].add(status)
        open_by_key = {i.dedup_key: i for i in _select(conn, "status IN ('open', 'acknowledged')")}
        for key, (ds, check_id, statuses, severity) in sorted(by_key.items()):
            current = open_by_key.get(key)
            if "fail" in statuses:
                if current is None:
                    changes.opened.append(_open(conn, key, ds, check_id, severity, run_id, at))
                elif current.last_run_id != run_id:
                    conn.execute(sa.text(
                        "UPDATE dq_incident SET failing_runs = failing_runs + 1, last_run_id = :r "
                        "WHERE incident_id = :i"), {"r": run_id, "i": current.incident_id})
                    _event(conn, current.incident_id, "failing", at, None, None, run_id, current.opened_at)
                    changes.continued.append(_get(conn, current.incident_id))
                else:
                    changes.continued.append(current)
            elif statuses == {"pass"} and current is not None:
                changes.resolved.append(
                    _resolve(conn, current, "auto", f"check passed in run {run_id}", at, run_id))
    return changes


def acknowledge(engine: Engine, incident_id: int, by: str, note: str = "", *, now: datetime | None = None) -> Incident:
    """open -> acknowledged, with who, when and a note."""
    at = _naive(now)
    with engine.begin() as conn:
        incident = _get(conn, incident_id)
        if incident.status != "open":
            raise IncidentError(f"incident {incident_id} is {incident.status}; only an open incident can be "
                                "acknowledged. See `utilityflow incidents list`.")
        conn.execute(sa.text(
            "UPDATE dq_incident SET status = 'acknowledged', acknowledged_by = :b, acknowledged_at = :at, "
            "ack_note = :n WHERE incident_id = :i"), {"b": by[:100], "at": at, "n": note[:1000], "i": incident_id})
        _event(conn, incident_id, "acknowledged", at, by, note, None, incident.opened_at)
        return _get(conn, incident_id)


def resolve(engine: Engine, incident_id: int, by: str, reason: str, *, now: datetime | None = None) -> Incident:
    """open/acknowledged -> resolved by hand, with a reason."""
    if not reason.strip():
        raise IncidentError("resolving by hand needs a reason (--reason TEXT).")
    at = _naive(now)
    with engine.begin() as conn:
        incident = _get(conn, incident_id)
        if incident.status not in OPEN_STATES:
            raise IncidentError(f"incident {incident_id} is already resolved (by {incident.resolved_by}).")
        return _resolve(conn, incident, by, reason, at, None)


def list_incidents(engine: Engine, status: str | None = None, limit: int = 100) -> list[Incident]:
    """Incidents, newest first; `status` is open, acknowledged, resolved or 'active' (not resolved)."""
    with engine.connect() as conn:
        if status == "active":
            where = "status IN ('open', 'acknowledged')"
        elif status in ("open", "acknowledged", "resolved"):
            where = f"status = '{status}'"
        elif status is None:
            where = "1 = 1"
        else:
            raise IncidentError(f"unknown incident status {status!r}; use open, acknowledged, resolved or active.")
        return _select(conn, where)[:limit]


def get_incident(engine: Engine, incident_id: int) -> Incident:
    """One incident by id (IncidentError if there is none)."""
    with engine.connect() as conn:
        return _get(conn, incident_id)


def _open(conn: Connection, key: str, ds: str, check_id: str, severity: str | None, run_id: int,
          at: datetime) -> Incident:
    conn.execute(sa.text(
        "INSERT INTO dq_incident (dedup_key, dataset_name, check_id, severity, status, opened_at, first_run_id, "
        "last_run_id, failing_runs) VALUES (:k, :d, :c, :s, 'open', :at, :r, :r, 1)"),
        {"k": key, "d": ds, "c": check_id, "s": severity, "at": at, "r": run_id})
    incident_id = int(conn.execute(sa.text(
        "SELECT MAX(incident_id) FROM dq_incident WHERE dedup_key = :k"), {"k": key}).scalar_one())
    _event(conn, incident_id, "opened", at, None, None, run_id, at)
    return _get(conn, incident_id)


def _resolve(conn: Connection, incident: Incident, by: str, reason: str, at: datetime,
             run_id: int | None) -> Incident:
    conn.execute(sa.text(
        "UPDATE dq_incident SET status = 'resolved', resolved_by = :b, resolved_at = :at, resolve_reason = :r "
        "WHERE incident_id = :i"), {"b": by[:100], "at": at, "r": reason[:1000], "i": incident.incident_id})
    _event(conn, incident.incident_id, "resolved", at, by, reason, run_id, incident.opened_at)
    return _get(conn, incident.incident_id)


def _event(conn: Connection, incident_id: int, event: str, at: datetime, actor: str | None, note: str | None,
           run_id: int | None, opened_at: datetime) -> None:
    number = int(conn.execute(sa.text(
        "SELECT COALESCE(MAX(event_no), 0) + 1 FROM dq_incident_event WHERE incident_id = :i"),
        {"i": incident_id}).scalar_one())
    conn.execute(sa.text(
        "INSERT INTO dq_incident_event (incident_id, event_no, event, event_at, actor, note, run_id, "
        "seconds_since_open) VALUES (:i, :n, :e, :at, :a, :note, :r, :s)"),
        {"i": incident_id, "n": number, "e": event, "at": at, "a": actor and actor[:100],
         "note": note and note[:1000], "r": run_id, "s": _seconds(opened_at, at)})


_COLUMNS = ("incident_id, dedup_key, dataset_name, check_id, severity, status, opened_at, failing_runs, "
            "first_run_id, last_run_id, acknowledged_by, acknowledged_at, ack_note, resolved_by, resolved_at, "
            "resolve_reason")


def _select(conn: Connection, where: str) -> list[Incident]:
    rows = conn.execute(sa.text(f"SELECT {_COLUMNS} FROM dq_incident WHERE {where} ORDER BY incident_id DESC"))
    return [Incident(**row._mapping) for row in rows]


def _get(conn: Connection, incident_id: int) -> Incident:
    found = _select(conn, f"incident_id = {int(incident_id)}")
    if not found:
        raise IncidentError(f"no incident {incident_id}; see `utilityflow incidents list`.")
    return found[0]


def _seconds(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return int((end - start).total_seconds())


def _naive(now: datetime | None) -> datetime:
    at = now or datetime.now(UTC)
    return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at
