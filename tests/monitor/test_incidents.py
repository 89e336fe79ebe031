"""Incidents open on failure, count failing runs, auto-resolve on pass; ack/resolve by hand; times stored."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from monitor.incidents import IncidentError, acknowledge, list_incidents, resolve, sync_incidents

T0 = datetime(2026, 3, 2, 6, 0)


def test_lifecycle_open_continue_ack_autoresolve(mart) -> None:
    r1 = mart.run()
    mart.result(r1, "cis.email_valid", "fail", rows_failed=7)
    mart.result(r1, "cis.id_unique", "pass")
    changes = sync_incidents(mart.engine, r1, now=T0)
    assert [i.check_id for i in changes.opened] == ["cis.email_valid"]
    (incident,) = changes.opened
    assert incident.status == "open" and incident.dedup_key == "cis_customer:cis.email_valid"

    r2 = mart.run()
    mart.result(r2, "cis.email_valid", "fail", batch_id=2)
    mart.result(r2, "cis.email_valid", "fail", batch_id=2, stage="cleansed")  # two stages, one run: once
    changes = sync_incidents(mart.engine, r2, now=T0 + timedelta(hours=1))
    assert changes.continued[0].failing_runs == 2 and not changes.opened
    # Re-syncing the same run changes nothing.
    assert sync_incidents(mart.engine, r2, now=T0 + timedelta(hours=1)).continued[0].failing_runs == 2

    acked = acknowledge(mart.engine, incident.incident_id, "ana", "looking at the CRM export", now=T0 + timedelta(
        minutes=90))
    assert acked.status == "acknowledged" and acked.seconds_to_ack == 5400
    with pytest.raises(IncidentError, match="only an open incident"):
        acknowledge(mart.engine, incident.incident_id, "bo")

    r3 = mart.run()
    mart.result(r3, "cis.email_valid", "warn", batch_id=4)
    assert not sync_incidents(mart.engine, r3, now=T0 + timedelta(hours=2)).resolved  # warn: still open
    r4 = mart.run()
    mart.result(r4, "cis.email_valid", "pass", batch_id=5)
    (resolved,) = sync_incidents(mart.engine, r4, now=T0 + timedelta(hours=3)).resolved
    assert (resolved.status, resolved.resolved_by) == ("resolved", "auto")
    assert resolved.seconds_to_resolve == 3 * 3600 and "run" in resolved.resolve_reason

    events = mart.rows("SELECT event, seconds_since_open FROM dq_incident_event WHERE incident_id = :i "
                       "ORDER BY event_no", i=incident.incident_id)
    assert [(e.event, e.seconds_since_open) for e in events] == [
        ("opened", 0), ("failing", 3600), ("acknowledged", 5400), ("resolved", 10800)]

    # Failing again later opens a new incident for the same key.
    r5 = mart.run()
    mart.result(r5, "cis.email_valid", "fail", batch_id=6)
    (again,) = sync_incidents(mart.engine, r5, now=T0 + timedelta(days=1)).opened
    assert again.incident_id != incident.incident_id
    assert [i.incident_id for i in list_incidents(mart.engine, "active")] == [again.incident_id]


def test_resolve_by_hand_needs_a_reason_and_an_unresolved_incident(duck_mart) -> None:
    r1 = duck_mart.run()
    duck_mart.result(r1, "cis.email_valid", "fail")
    (incident,) = sync_incidents(duck_mart.engine, r1, now=T0).opened
    with pytest.raises(IncidentError, match="needs a reason"):
        resolve(duck_mart.engine, incident.incident_id, "ana", " ")
    done = resolve(duck_mart.engine, incident.incident_id, "ana", "source fixed upstream", now=T0 + timedelta(
        minutes=5))
    assert done.resolve_reason == "source fixed upstream" and done.seconds_to_resolve == 300
    with pytest.raises(IncidentError, match="already resolved"):
        resolve(duck_mart.engine, incident.incident_id, "ana", "again")
    with pytest.raises(IncidentError, match="no incident 999"):
        acknowledge(duck_mart.engine, 999, "ana")
    with pytest.raises(IncidentError, match="unknown incident status"):
        list_incidents(duck_mart.engine, "closed")
