"""PII masking for everything an alert carries out of the warehouse: emails, phone numbers, street
addresses, and any value of a column that holds names, contacts or addresses.

The check engine masks samples when it stores them; alerts mask again, because a payload is the last
place a value is seen before it leaves: defence in depth, and messages or keys can carry values too.
"""

from __future__ import annotations

import re

_EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
# A phone: optional +, digits with separators; judged on its digit count below.
_PHONE = re.compile(r"(?<![\w.])(?:\+|00)?\(?\d[\d\s().-]{5,}\d(?![\w.])")
_STREET = re.compile(
    r"\b\d{1,6}[A-Za-z]?\s+(?:[A-Z0-9][\w'.-]*\s+){0,4}"
    r"(?:St|Street|Ave|Avenue|Rd|Road|Blvd|Boulevard|Ln|Lane|Dr|Drive|Ct|Court|Way|Ter|Terrace|Pl|Place|"
    r"Hwy|Highway|Pkwy|Parkway|Cir|Circle|Sq|Square)\b\.?(?:\s*(?:Apt|Unit|Suite|#)\s*[\w-]+)?",
    re.IGNORECASE,
)
_PII_COLUMN = re.compile(
    r"(?i)(name|first|last|surname|middle|contact|email|e_mail|phone|mobile|tel|fax|address|addr|street|"
    r"city|postal|zip|premise_address|ssn|birth|dob)"
)


def mask_value(value: str | None, column: str | None = None) -> str | None:
    """Mask one sample value. A value of a PII column keeps only its first character and its length class;
    any other value has emails, phones and street addresses masked inside it."""
    if value is None:
        return None
    text = str(value)
    if column and _PII_COLUMN.search(column):
        return _mask_whole(text)
    return mask_text(text)


def mask_text(text: str) -> str:
    """Mask emails, phone numbers and street addresses inside free text (messages, keys)."""
    text = _EMAIL.sub(lambda m: _mask_email(m.group(0)), text)
    text = _STREET.sub("[address]", text)
    return _PHONE.sub(_mask_phone, text)


def _mask_whole(text: str) -> str:
    stripped = text.strip()
    if not stripped:
        return text
    if _EMAIL.fullmatch(stripped):
        return _mask_email(stripped)
    return stripped[0] + "***"


def _mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    tld = domain.rsplit(".", 1)[-1]
    return f"{local[:1]}***@***.{tld}"


def _mask_phone(match: re.Match[str]) -> str:
    raw = match.group(0)
    digits = re.sub(r"\D", "", raw)
    has_separator = bool(re.search(r"[\s().+-]", raw.strip()))
    if _ISO_DATE.match(raw.strip()) or len(digits) < 7 or (not has_separator and len(digits) < 10):
        return raw  # a date, a count or an id, not a phone number
    return "***-" + digits[-2:]
