"""Alert policy and delivery against a real local HTTP server speaking Slack's webhook and Web API."""

from __future__ import annotations

import json
import time
from datetime import date, datetime, timedelta

from monitor.alerts import dispatch_for_run, list_alerts, send_test_alert
from monitor.settings import Settings

T0 = datetime(2026, 3, 2, 6, 0)
HOOK = "/services/T000/B000/XXXX"


def webhook(server) -> Settings:
    return Settings(slack_webhook_url=server.url + HOOK, console_url="http://console.local:8501")


def bot(server) -> Settings:
    return Settings(slack_token="xoxb-test-token", slack_api_url=server.url + "/api/",
                    console_url="http://console.local:8501")


def failing_run(mart, *, batch_id: int = 1, critical: bool = False, day: date = date(2026, 3, 2)) -> int:
    with mart.transaction():
        return _failing_run(mart, batch_id, critical, day)


def _failing_run(mart, batch_id: int, critical: bool, day: date) -> int:
    run = mart.run(T0)
    mart.result(run, "cis.customer.email_valid", "fail", batch_id=batch_id, rows_failed=70, rows_evaluated=1000,
                observed=0.93, threshold_fail=0.95, day=day,
                message="70 invalid emails, e.g. jane.doe@example.com")
    mart.sample(run, "cis.customer.email_valid", 1, "jane.doe@example.com", batch_id=batch_id)
    mart.sample(run, "cis.customer.email_valid", 2, "Jane Doe", column="customer_name", batch_id=batch_id)
    mart.sample(run, "cis.customer.email_valid", 3, "742 Evergreen Terrace", column="note", batch_id=batch_id)
    mart.result(run, "cis.customer.phone_valid", "warn", batch_id=batch_id, rows_failed=5, observed=0.995,
                threshold_fail=0.99, day=day, message="call 555-867-5309 was invalid")
    mart.result(run, "cis.customer.id_unique", "fail" if critical else "pass", batch_id=batch_id,
                severity="critical", day=day)
    return run


def passing_run(mart, batch_id: int = 2) -> int:
    with mart.transaction():
        run = mart.run(T0)
        for check in ("cis.customer.email_valid", "cis.customer.phone_valid", "cis.customer.id_unique"):
            mart.result(run, check, "pass", batch_id=batch_id)
    return run


def test_no_slack_configured_goes_to_log_and_table(mart, scan_alert_log, caplog) -> None:
    run = failing_run(mart)
    with caplog.at_level("INFO", logger="utilityflow.alerts"):
        report = dispatch_for_run(mart.engine, run, Settings(), now=T0)
    assert (report.destination, report.logged, report.sent) == ("log", 1, 0)
    (alert,) = list_alerts(mart.engine)
    assert (alert.status, alert.destination, alert.kind, alert.attempts) == ("logged", "log", "new", 1)
    items = mart.rows("SELECT dedup_key, kind FROM dq_alert_item ORDER BY dedup_key")
    assert [(i.dedup_key, i.kind) for i in items] == [("cis_customer:cis.customer.email_valid", "new"),
                                                      ("cis_customer:cis.customer.phone_valid", "new")]
    assert "destination=log" in caplog.text and "outcome=logged" in caplog.text
    assert [i.check_id for i in report.incidents.opened] == ["cis.customer.email_valid"]
    assert scan_alert_log(mart.engine) == 1


def test_webhook_message_groups_checks_with_observed_threshold_samples_and_console_button(
        duck_mart, slack_server, scan_alert_log) -> None:
    run = failing_run(duck_mart, critical=True)
    report = dispatch_for_run(duck_mart.engine, run, webhook(slack_server), now=T0)
    assert report.sent == 1
    (request,) = slack_server.calls(HOOK)
    body = request.json
    text = json.dumps(body)
    assert "<!channel>" in text  # a failed critical check mentions the channel
    assert body["blocks"][0]["type"] == "header" and "2 failed, 1 warned" in body["blocks"][0]["text"]["text"]
    assert "observed 0.93" in text and "threshold 0.95" in text and "70 of 1,000 rows failed" in text
    assert "j***@***.com" in text and "J***" in text and "[address]" in text
    button = body["blocks"][-1]["elements"][0]
    assert button["url"] == "http://console.local:8501/?dataset=cis_customer&batch=1"
    assert body["text"].startswith("Data quality:")  # plain-text fallback
    assert scan_alert_log(duck_mart.engine) == 1


def test_rate_limit_429_with_retry_after_is_retried(duck_mart, slack_server) -> None:
    slack_server.respond(HOOK, (429, {"Retry-After": "1"}, "rate_limited"))
    started = time.monotonic()
    report = dispatch_for_run(duck_mart.engine, failing_run(duck_mart), webhook(slack_server), now=T0)
    assert report.sent == 1 and len(slack_server.calls(HOOK)) == 2
    assert time.monotonic() - started >= 1.0, "Retry-After was not honoured"


def test_slack_outage_never_fails_the_run_and_is_retried_next_run(duck_mart, slack_server) -> None:
    slack_server.respond(HOOK, (500, {}, "internal_error"), (500, {}, "internal_error"))
    report = dispatch_for_run(duck_mart.engine, failing_run(duck_mart), webhook(slack_server), now=T0)
    assert (report.sent, report.failed) == (0, 1)
    (alert,) = list_alerts(duck_mart.engine)
    assert (alert.status, alert.attempts) == ("failed", 1) and "500" in alert.response
    assert len(slack_server.calls(HOOK)) == 2  # one retry of the server error inside slack-sdk
    # Next run: Slack is back; the stored alert is delivered (the new run has nothing new to say).
    report = dispatch_for_run(duck_mart.engine, passing_run(duck_mart), webhook(slack_server), now=T0)
    assert report.retried == 1
    first = [a for a in list_alerts(duck_mart.engine) if a.alert_id == alert.alert_id][0]
    assert (first.status, first.attempts) == ("sent", 2)


def test_server_down_is_a_failed_alert_not_an_exception(duck_mart) -> None:
    settings = Settings(slack_webhook_url="http://127.0.0.1:9/services/T/B/X")  # discard port: refused
    report = dispatch_for_run(duck_mart.engine, failing_run(duck_mart), settings, now=T0)
    assert report.failed == 1
    (alert,) = list_alerts(duck_mart.engine)
    assert alert.status == "failed" and "Connection" in alert.response


def test_suppression_window_then_still_failing_reminder(duck_mart, slack_server) -> None:
    settings = webhook(slack_server)
    dispatch_for_run(duck_mart.engine, failing_run(duck_mart, batch_id=1), settings, now=T0)
    second = dispatch_for_run(duck_mart.engine, failing_run(duck_mart, batch_id=2), settings,
                              now=T0 + timedelta(hours=6))
    assert (second.sent, second.suppressed) == (0, 2)
    third = dispatch_for_run(duck_mart.engine, failing_run(duck_mart, batch_id=3), settings,
                             now=T0 + timedelta(hours=25))
    assert third.sent == 1
    reminder = json.dumps(slack_server.calls(HOOK)[-1].json)
    assert "still failing (3 runs)" in reminder
    assert "Still failing: 2 checks" in reminder


def test_bot_resolves_by_updating_the_original_and_replying_in_thread(mart, slack_server, scan_alert_log) -> None:
    mart.dataset("cis_customer", channel="#dq-billing")
    settings = bot(slack_server)
    first = dispatch_for_run(mart.engine, failing_run(mart), settings, now=T0)
    assert first.sent == 1
    (post,) = slack_server.calls("/api/chat.postMessage")
    assert post.json["channel"] == "#dq-billing" and post.headers["Authorization"] == "Bearer xoxb-test-token"
    original_ts = list_alerts(mart.engine)[0]
    stored_ts = mart.rows("SELECT slack_ts FROM dq_alert_log WHERE alert_id = :a", a=original_ts.alert_id)[0][0]
    assert stored_ts.startswith("1700000000.")

    later = dispatch_for_run(mart.engine, passing_run(mart), settings, now=T0 + timedelta(hours=2))
    assert later.sent == 1 and [i.check_id for i in later.incidents.resolved] == ["cis.customer.email_valid"]
    (update,) = slack_server.calls("/api/chat.update")
    assert update.json["ts"] == stored_ts and "resolved" in json.dumps(update.json["blocks"])
    reply = slack_server.calls("/api/chat.postMessage")[-1].json
    assert reply["thread_ts"] == stored_ts and "Resolved in run" in reply["text"]
    # Resolved keys start a new episode: failing again is "new", not suppressed.
    again = dispatch_for_run(mart.engine, failing_run(mart, batch_id=3), settings, now=T0 + timedelta(hours=3))
    assert again.sent == 1 and again.suppressed == 0
    scan_alert_log(mart.engine)


def test_one_message_per_batch_and_channel_and_summary_above_threshold(duck_mart, slack_server) -> None:
    duck_mart.dataset("cis_customer", channel="#dq-billing")
    duck_mart.dataset("mdm_reads", channel="#dq-meter")
    with duck_mart.transaction():
        run = duck_mart.run(T0)
        for i in range(14):
            duck_mart.result(run, f"cis.check_{i:02d}", "fail", batch_id=1, rows_failed=i)
        duck_mart.result(run, "mdm.reads.gap", "fail", dataset="mdm_reads", batch_id=7)
    report = dispatch_for_run(duck_mart.engine, run, bot(slack_server), now=T0)
    assert report.sent == 2
    posts = {p.json["channel"]: p.json for p in slack_server.calls("/api/chat.postMessage")}
    assert set(posts) == {"#dq-billing", "#dq-meter"}
    summary = json.dumps(posts["#dq-billing"]["blocks"])
    assert "14 checks need attention" in summary and "Worst checks" in summary
    assert "cis.check_13" in summary and "cis.check_00" not in summary  # top 5 by failed rows


def test_alerts_test_sends_a_sample_and_reports_the_response(duck_mart, slack_server, scan_alert_log) -> None:
    alert_id, outcome = send_test_alert(duck_mart.engine, webhook(slack_server))
    assert outcome.status == "sent" and "HTTP 200" in outcome.response
    assert len(slack_server.calls(HOOK)) == 1
    assert list_alerts(duck_mart.engine)[0].kind == "test"
    scan_alert_log(duck_mart.engine)
