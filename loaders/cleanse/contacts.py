"""Phones to E.164 (phonenumbers, region US) and emails (email-validator, no DNS), placeholders rejected."""

from __future__ import annotations

from functools import lru_cache

import pandas as pd
import phonenumbers
from email_validator import EmailNotValidError, validate_email

from loaders.cleanse import map_distinct, none_for_null

FAKE_EMAIL_LOCALS = {"none", "noemail", "no", "na", "n/a", "test", "fake", "null", "unknown", "noreply",
                     "no-reply", "donotreply", "nobody", "asdf", "xxx", "x", "abc"}
FAKE_EMAIL_DOMAINS = {"none.com", "noemail.com", "example.com", "example.org", "test.com", "fake.com",
                      "email.com", "domain.com", "nomail.com", "na.com", "unknown.com", "xxx.com"}


@lru_cache(maxsize=1_000_000)
def phone_e164(raw: str) -> tuple[str | None, str]:
    """(E.164, status): status ok | placeholder | invalid | empty."""
    text = raw.strip()
    if not text:
        return None, "empty"
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(set(digits[-10:])) <= 1 or digits[-10:] in ("1234567890", "0123456789"):
        return None, "placeholder"
    try:
        num = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException:
        return None, "invalid"
    if not phonenumbers.is_valid_number(num):
        return None, "invalid"
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164), "ok"


@lru_cache(maxsize=1_000_000)
def email_std(raw: str) -> tuple[str | None, str]:
    """(normalised email, status): ok | placeholder | invalid | empty. Syntax only, no DNS lookups."""
    text = raw.strip()
    if not text:
        return None, "empty"
    try:
        info = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return None, "invalid"
    email = info.normalized.lower()
    local, _, domain = email.partition("@")
    if local in FAKE_EMAIL_LOCALS or domain in FAKE_EMAIL_DOMAINS or set(local) <= {"x", "0", "."}:
        return None, "placeholder"
    return email, "ok"


def phones(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(phone_e164, phone_status) for a column of raw phones."""
    pairs = map_distinct(raw, phone_e164)
    return (none_for_null(pairs.map(lambda p: p[0], na_action="ignore")),
            none_for_null(pairs.map(lambda p: p[1], na_action="ignore")))


def emails(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(email_std, email_status) for a column of raw emails."""
    pairs = map_distinct(raw, email_std)
    return (none_for_null(pairs.map(lambda p: p[0], na_action="ignore")),
            none_for_null(pairs.map(lambda p: p[1], na_action="ignore")))
