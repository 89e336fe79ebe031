"""Slack alerts: Block Kit messages (`blocks`), PII masking (`redact`), the policy (`policy`),
delivery through slack-sdk (`delivery`) and the run-level entry point (`dispatch`)."""

from __future__ import annotations

from monitor.alerts.dispatch import DispatchReport, dispatch_for_run, list_alerts, retry_pending, send_test_alert

__all__ = ["DispatchReport", "dispatch_for_run", "list_alerts", "retry_pending", "send_test_alert"]
