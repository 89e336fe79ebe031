"""PII masking for failed-row samples: a pure function used wherever samples leave the warehouse
(fact table, Slack, console, reports).

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
