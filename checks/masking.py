"""PII masking: the one home of every masker used where values leave the warehouse (pure, no I/O).

- `mask(kind, value)` / `pii_kind(column)`: failed-row samples as the engine stores them (fact table);
- `mask_pii(value, column)`: samples as the console shows them (re-exported by monitor.masking);
- `mask_value(value, column)` / `mask_text(text)`: alert payloads, masked again on the way out
  (re-exported by monitor.alerts.redact);
- `neutralise_formula(value)`: a sample that a spreadsheet would run as a formula.

>>> mask("email", "john.doe@example.com")
'j***@e***.com'
>>> mask("phone", "+1 (555) 123-4567")
'+* (***) ***-**67'
>>> mask("name", "Mary Ann Smith")
'M. A. S.'
>>> mask("address", "123 N Main St Apt 4")
'*** N Main St Apt 4'
>>> print(neutralise_formula('=HYPERLINK("http://x")'))
'=HYPERLINK("http://x")
"""

from __future__ import annotations

import re
from collections.abc import Mapping

KINDS = ("email", "phone", "name", "address")

# Columns masked even when a suite does not say so: better a masked non-secret than a leaked email.
_BY_NAME = (
    (re.compile(r"e_?mail", re.I), "email"),
    (re.compile(r"phone|mobile|msisdn|fax", re.I), "phone"),
    (re.compile(r"(^|_)(first|last|middle|full|customer|contact|account_holder)?_?name($|_)", re.I), "name"),
    (re.compile(r"street|address|addr($|_)|house", re.I), "address"),
)


def mask_email(value: str) -> str:
    local, at, domain = value.partition("@")
    if not at:
        return _stars(value)
    host, dot, tld = domain.rpartition(".")
    if not dot:
        host, tld = domain, ""
    first = (local[:1] or "*") + "***"
    return f"{first}@{(host[:1] or '*')}***{'.' + tld if tld else ''}"


def mask_phone(value: str) -> str:
    """Every digit but the last two becomes '*'; separators stay so the shape is recognisable."""
    positions = [i for i, ch in enumerate(value) if ch.isdigit()]
    keep = set(positions[-2:])
    return "".join("*" if ch.isdigit() and i not in keep else ch for i, ch in enumerate(value))


def mask_name(value: str) -> str:
    parts = [p for p in re.split(r"[\s,]+", value.strip()) if p]
    return " ".join(f"{p[0].upper()}." for p in parts if p[0].isalnum()) or "*"


def mask_address(value: str) -> str:
    """The house number (leading digits, with a letter suffix such as 12B) is masked."""
    return re.sub(r"^\s*\d+[A-Za-z]?(-\d+)?", lambda m: "*" * min(len(m.group(0).strip()), 5), value, count=1)


def _stars(value: str) -> str:
    return (value[:1] + "***") if value else value


_MASKERS = {"email": mask_email, "phone": mask_phone, "name": mask_name, "address": mask_address}


def mask(kind: str, value: str | None) -> str | None:
    """Mask one value of a PII kind (email, phone, name, address); None stays None."""
    if value is None:
        return None
    return _MASKERS[kind](str(value))


def pii_kind(column: str, declared: Mapping[str, str] | None = None) -> str | None:
    """The PII kind of a column: as the suite declares it, else guessed from the column name."""
    if declared and column in declared:
        return declared[column]
    for pattern, kind in _BY_NAME:
        if pattern.search(column):
            return kind
    return None


# A cell starting with one of these is a formula to Excel/Sheets/LibreOffice when a sample is pasted or exported
# as CSV (OWASP "CSV injection"); a quote in front makes it plain text. Signed numbers stay as they are.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: str | None) -> str | None:
    """Prefix `'` to a value a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR at the start);
    numbers such as `-3.5` or `+1` are left alone. None stays None."""
    if not value or not value.startswith(_FORMULA_START):
        return value
    try:
        float(value)
        return value
    except ValueError:
        return "'" + value


# --- Console samples (`mask_pii`): column-name hints, free text scanned for emails and formatted phones --------
# Column-name hints decide how a value is masked; free text is scanned for emails and formatted phones.
# Bare digit strings in unknown columns are left alone: they are account or meter ids, which the
# steward needs to find the row, and not PII by themselves.
_STARS3 = "***"
_TEXT_EMAIL = re.compile(
    r"(?<![\w.%+-])([A-Za-z0-9])[A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.([A-Za-z]{2,})"
)
_TEXT_PHONE = re.compile(r"(?<!\w)(?:\+\d{1,3}[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?!\w)")
_SAMPLE_HINTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("email", ("email", "e_mail", "mail")),
    ("phone", ("phone", "mobile", "tel", "fax", "msisdn")),
    ("zip", ("zip", "postal", "postcode")),
    ("words", ("name", "street", "address", "addr", "line1", "line2", "unit", "contact", "city")),
)


def _sample_kind(column_name: str | None) -> str | None:
    col = (column_name or "").lower()
    for kind, words in _SAMPLE_HINTS:
        if any(w in col for w in words):
            return kind
    return None


def _mask_text_email(m: re.Match[str]) -> str:
    return f"{m.group(1)}{_STARS3}@{_STARS3}.{m.group(2)}"


def _mask_digits(text: str) -> str:
    """Keep the last two digits of a phone number: enough to tell two samples apart, not to call."""
    digits = [c for c in text if c.isdigit()]
    return f"{_STARS3}{''.join(digits[-2:])}" if len(digits) > 2 else _STARS3


def _mask_words(text: str) -> str:
    """Keep the first letter of each word (and numbers shorter than 3 digits): `J*** S****`."""
    out = []
    for word in text.split():
        if (word.isdigit() and len(word) < 3) or _STARS3 in word:
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
    if not text.strip() or _STARS3 in text and not _TEXT_EMAIL.search(text):
        return text  # empty, or already masked
    kind = _sample_kind(column_name)
    if kind == "email":
        return _TEXT_EMAIL.sub(_mask_text_email, text) if _TEXT_EMAIL.search(text) else _mask_words(text)
    if kind == "phone":
        return _mask_digits(text)
    if kind == "zip":
        return text[:3] + "*" * max(len(text) - 3, 0)
    if kind == "words":
        return _mask_words(_TEXT_EMAIL.sub(_mask_text_email, text))
    text = _TEXT_EMAIL.sub(_mask_text_email, text)
    return _TEXT_PHONE.sub(lambda m: _mask_digits(m.group(0)), text)


# --- Alerts (`mask_value`, `mask_text`): whole-value masking of PII columns, free text scanned for emails,
# phones and street addresses. Alerts mask again what the engine masked: a payload is the last stop.
_ALERT_EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+")
_ALERT_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
# A phone: optional +, digits with separators; judged on its digit count below.
_ALERT_PHONE = re.compile(r"(?<![\w.])(?:\+|00)?\(?\d[\d\s().-]{5,}\d(?![\w.])")
_ALERT_STREET = re.compile(
    r"\b\d{1,6}[A-Za-z]?\s+(?:[A-Z0-9][\w'.-]*\s+){0,4}"
    r"(?:St|Street|Ave|Avenue|Rd|Road|Blvd|Boulevard|Ln|Lane|Dr|Drive|Ct|Court|Way|Ter|Terrace|Pl|Place|"
    r"Hwy|Highway|Pkwy|Parkway|Cir|Circle|Sq|Square)\b\.?(?:\s*(?:Apt|Unit|Suite|#)\s*[\w-]+)?",
    re.IGNORECASE,
)
_ALERT_PII_COLUMN = re.compile(
    r"(?i)(name|first|last|surname|middle|contact|email|e_mail|phone|mobile|tel|fax|address|addr|street|"
    r"city|postal|zip|premise_address|ssn|birth|dob)"
)


def mask_value(value: str | None, column: str | None = None) -> str | None:
    """Mask one sample value. A value of a PII column keeps only its first character and its length class;
    any other value has emails, phones and street addresses masked inside it."""
    if value is None:
        return None
    text = str(value)
    if column and _ALERT_PII_COLUMN.search(column):
        return _alert_whole(text)
    return mask_text(text)


def mask_text(text: str) -> str:
    """Mask emails, phone numbers and street addresses inside free text (messages, keys)."""
    text = _ALERT_EMAIL.sub(lambda m: _alert_email(m.group(0)), text)
    text = _ALERT_STREET.sub("[address]", text)
    return _ALERT_PHONE.sub(_alert_phone, text)


def _alert_whole(text: str) -> str:
    stripped = text.strip()
    if not stripped:
        return text
    if _ALERT_EMAIL.fullmatch(stripped):
        return _alert_email(stripped)
    return stripped[0] + "***"


def _alert_email(email: str) -> str:
    local, _, domain = email.partition("@")
    tld = domain.rsplit(".", 1)[-1]
    return f"{local[:1]}***@***.{tld}"


def _alert_phone(match: re.Match[str]) -> str:
    raw = match.group(0)
    digits = re.sub(r"\D", "", raw)
    has_separator = bool(re.search(r"[\s().+-]", raw.strip()))
    if _ALERT_ISO_DATE.match(raw.strip()) or len(digits) < 7 or (not has_separator and len(digits) < 10):
        return raw  # a date, a count or an id, not a phone number
    return "***-" + digits[-2:]
