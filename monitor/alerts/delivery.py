"""Delivery of alert messages: Slack bot token (per-owner channels, chat.update, threads), incoming
webhook, or the log when no Slack is configured.

Both Slack clients retry rate limits (HTTP 429, honouring Retry-After), connection errors and server
errors (5xx) through slack-sdk's retry handlers. Anything still failing is returned as a failed outcome,
never raised: a Slack outage must not fail a load or a check run; the alert stays in `dq_alert_log` and is
retried on the next run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from monitor.masking import scrub
from monitor.settings import Settings

log = logging.getLogger("utilityflow.alerts")

RETRY_RATE_LIMIT = 2
RETRY_CONNECTION = 2
RETRY_SERVER = 1
TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Outcome:
    status: str  # sent | failed | logged
    response: str
    slack_ts: str | None = None


def destination(settings: Settings) -> str:
    """bot (a token: per-owner channels, updates), webhook, or log."""
    if settings.slack_token:
        return "bot"
    if settings.slack_webhook_url:
        return "webhook"
    return "log"


def _handlers() -> list[Any]:
    from slack_sdk.http_retry.builtin_handlers import (
        ConnectionErrorRetryHandler,
        RateLimitErrorRetryHandler,
        ServerErrorRetryHandler,
    )

    return [RateLimitErrorRetryHandler(max_retry_count=RETRY_RATE_LIMIT),
            ConnectionErrorRetryHandler(max_retry_count=RETRY_CONNECTION),
            ServerErrorRetryHandler(max_retry_count=RETRY_SERVER)]


def webhook_client(settings: Settings) -> Any:
    """slack-sdk WebhookClient with rate-limit, connection and server-error retries."""
    from slack_sdk.webhook import WebhookClient

    return WebhookClient(settings.slack_webhook_url, timeout=TIMEOUT_SECONDS, retry_handlers=_handlers(),
                         logger=logging.getLogger("utilityflow.slack"))


def web_client(settings: Settings) -> Any:
    """slack-sdk WebClient (bot token) with rate-limit, connection and server-error retries."""
    from slack_sdk import WebClient

    return WebClient(token=settings.slack_token, base_url=settings.slack_api_url, timeout=TIMEOUT_SECONDS,
                     retry_handlers=_handlers(), logger=logging.getLogger("utilityflow.slack"))


def post(settings: Settings, channel: str | None, message: dict[str, Any]) -> Outcome:
    """Post a new message to the configured destination."""
    kind = destination(settings)
    if kind == "log":
        log.warning("event=alert destination=log channel=%s text=%r", channel, message.get("text", "")[:500])
        return Outcome("logged", "no Slack configured: alert written to the log and dq_alert_log")
    try:
        if kind == "webhook":
            resp = webhook_client(settings).send(text=message["text"], blocks=message["blocks"])
            ok = resp.status_code == 200
            return Outcome("sent" if ok else "failed", f"HTTP {resp.status_code}: {resp.body[:200]}")
        resp = web_client(settings).chat_postMessage(channel=channel, text=message["text"], blocks=message["blocks"])
        return Outcome("sent", f"ok channel={resp.get('channel')}", str(resp.get("ts")))
    except Exception as e:  # a Slack outage is an outcome, not a crash
        return Outcome("failed", _describe(e))


def update_and_reply(settings: Settings, channel: str, ts: str, message: dict[str, Any], reply: str) -> Outcome:
    """Bot only: replace the original alert (chat.update) and reply in its thread."""
    try:
        client = web_client(settings)
        client.chat_update(channel=channel, ts=ts, text=message["text"], blocks=message["blocks"])
        client.chat_postMessage(channel=channel, thread_ts=ts, text=reply)
        return Outcome("sent", f"ok updated ts={ts} and replied in thread", ts)
    except Exception as e:
        return Outcome("failed", _describe(e))


def _describe(error: Exception) -> str:
    response = getattr(error, "response", None)
    if response is not None and getattr(response, "status_code", None) is not None:
        detail = f"HTTP {response.status_code}: {getattr(response, 'data', '') or ''}"
    else:
        detail = f"{type(error).__name__}: {error}"
    return scrub(detail)[:1000]
