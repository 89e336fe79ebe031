"""Masking of secrets and PII wherever values leave the warehouse (CLI, logs, Slack, console, reports)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

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


# --- PII in failed-row samples (console, Slack, report) -------------------------------------------------
# Column-name hints decide how a value is masked; free text is scanned for emails and formatted phones.
# Bare digit strings in unknown columns are left alone: they are account or meter ids, which the
# steward needs to find the row, and not PII by themselves.
_EMAIL = re.compile(r"(?<![\w.%+-])([A-Za-z0-9])[A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.([A-Za-z]{2,})")
_FORMATTED_PHONE = re.compile(r"(?<!\w)(?:\+\d{1,3}[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?!\w)")
_HINTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("email", ("email", "e_mail", "mail")),
    ("phone", ("phone", "mobile", "tel", "fax", "msisdn")),
    ("zip", ("zip", "postal", "postcode")),
    ("words", ("name", "street", "address", "addr", "line1", "line2", "unit", "contact", "city")),
)


def _pii_kind(column_name: str | None) -> str | None:
    col = (column_name or "").lower()
    for kind, words in _HINTS:
        if any(w in col for w in words):
            return kind
    return None


def _mask_email(m: re.Match[str]) -> str:
    return f"{m.group(1)}{_MASK}@{_MASK}.{m.group(2)}"


def _mask_digits(text: str) -> str:
    """Keep the last two digits of a phone number: enough to tell two samples apart, not to call."""
    digits = [c for c in text if c.isdigit()]
    return f"{_MASK}{''.join(digits[-2:])}" if len(digits) > 2 else _MASK


def _mask_words(text: str) -> str:
    """Keep the first letter of each word (and numbers shorter than 3 digits): `J*** S****`."""
    out = []
    for word in text.split():
        if (word.isdigit() and len(word) < 3) or _MASK in word:
            out.append(word)  # short house/unit numbers, and what is already masked
        elif word[0].isalnum():
            out.append(word[0] + "*" * max(len(word) - 1, 1))
        else:
            out.append(word)
    return " ".join(out)


def mask_pii(value: object, column_name: str | None = None) -> str | None:
    """Mask personal data in one sample value before it is shown or sent anywhere.

    The column name picks the rule (email, phone, zip, name/address words); in any other column the
    text is still scanned for email addresses and formatted phone numbers. Masking is idempotent.

    >>> mask_pii("john.smith@example.com", "email")
    'j***@***.com'
    >>> mask_pii("(555) 123-4567", "phone")
    '***67'
    >>> mask_pii("123 North Main Street", "service_address")
    '1** N**** M*** S*****'
    >>> mask_pii("call 555-123-4567 or mail a@b.org", "note")
    'call ***67 or mail a***@***.org'
    """
    if value is None:
        return None
    text = str(value)
    if not text.strip() or _MASK in text and not _EMAIL.search(text):
        return text  # empty, or already masked
    kind = _pii_kind(column_name)
    if kind == "email":
        return _EMAIL.sub(_mask_email, text) if _EMAIL.search(text) else _mask_words(text)
    if kind == "phone":
        return _mask_digits(text)
    if kind == "zip":
        return text[:3] + "*" * max(len(text) - 3, 0)
    if kind == "words":
        return _mask_words(_EMAIL.sub(_mask_email, text))
    text = _EMAIL.sub(_mask_email, text)
    return _FORMATTED_PHONE.sub(lambda m: _mask_digits(m.group(0)), text)
