"""Masking of secrets wherever values leave the warehouse (CLI, logs, Slack, console, reports).

PII masking is `checks.masking` (pure, shared by the runner, console, alerts); `mask_pii` is re-exported here."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from checks.masking import mask_pii

__all__ = ["mask_pii", "mask_secret", "mask_url", "scrub"]

_MASK = "***"


def mask_secret(value: str) -> str:
    """A secret is shown only as set/unset: `***` or the empty string."""
    return _MASK if value else ""


def mask_url(url: str) -> str:
    """Hide the password of a database URL and the path/query of a webhook-like URL with a token.

    >>> mask_url("postgresql+psycopg://etl:s3cret@db:5432/dw")
    'postgresql+psycopg://etl:***@db:5432/dw'
    >>> mask_url("etl:s3cret@db/dw")
    'etl:***@db/dw'
    """
    if not url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return _MASK
    if not parts.netloc and "@" in url:
        # Not a URL urlsplit understands (no '//': 'user:password@host/db'): hide what may be a password.
        head, _, host = url.rpartition("@")
        user, colon, _ = head.partition(":")
        return f"{user}:{_MASK}@{host}" if colon else url
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{_MASK}@{host}" if ":" in userinfo else f"{user}@{host}"
    query = re.sub(r"(?i)((?:password|pwd|token|secret|key)=)[^&;]*", r"\1" + _MASK, parts.query)
    path = parts.path
    if parts.hostname and "hooks.slack.com" in parts.hostname:
        path = "/services/" + _MASK
    if (netloc, path, query) == (parts.netloc, parts.path, parts.query):
        return url  # nothing secret: keep it exactly as written (urlunsplit drops an empty '//')
    return urlunsplit((parts.scheme, netloc, path, query, parts.fragment))


_URL_WITH_PASSWORD = re.compile(r"([a-zA-Z][\w+.-]*://[^\s:/@]+):([^\s@/]+)@")
_SLACK_TOKEN = re.compile(r"xox[a-z]-[A-Za-z0-9-]+")
_SLACK_WEBHOOK = re.compile(r"https://hooks\.slack\.com/services/[^\s'\"]+")
_PASSWORD_KV = re.compile(r"(?i)\b(password|pwd)=([^\s;&'\"]+)")


def scrub(text: str) -> str:
    """Remove secrets from free text (error messages, tracebacks, logs): passwords in URLs and in
    `password=`/`PWD=` pairs, Slack tokens and webhook URLs."""
    text = _URL_WITH_PASSWORD.sub(r"\1:" + _MASK + "@", text)
    text = _SLACK_WEBHOOK.sub("https://hooks.slack.com/services/" + _MASK, text)
    text = _SLACK_TOKEN.sub("xox?-" + _MASK, text)
    return _PASSWORD_KV.sub(r"\1=" + _MASK, text)

