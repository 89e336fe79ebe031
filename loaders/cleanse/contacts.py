"""Phones to E.164 (phonenumbers, region US) and emails (email-validator, no DNS), placeholders rejected."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import phonenumbers
import pyarrow.compute as pc
from email_validator import EmailNotValidError, validate_email

from loaders.cleanse import WHITESPACE_RE2, arrow_strings, extracted, map_distinct, none_for_null

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


_PREFIX_VERDICTS: dict[str, str] = {}  # NPA-NXX -> verdict; at most 640,000 prefixes exist


def _prefix_verdict(prefix: str, number: str) -> str:
    """phonenumbers' verdict (ok | invalid | placeholder) for an NPA-NXX, from the first number of it seen in
    this process: the CIS snapshot, the CRM contacts and every daily delta share most prefixes."""
    if prefix not in _PREFIX_VERDICTS:
        _PREFIX_VERDICTS[prefix] = phone_e164("+1" + number)[1]
    return _PREFIX_VERDICTS[prefix]


# A plainly written NANP number: optional +1/1, then NPA-NXX-XXXX with N in 2-9. Separators are Python's
# whitespace (as `\s` was when Python ran this pattern; RE2's `\s` is ASCII-only), `.` and `-`. Digits are
# ASCII only: other digits go to phonenumbers (Python's `\d` once let Arabic-Indic digits into the "E.164").
_SEP = f"[{WHITESPACE_RE2}.-]"
_NANP = (rf"^(?:\+?1{_SEP}?)?\(?(?P<npa>[2-9][0-9]{{2}})\)?{_SEP}?(?P<nxx>[2-9][0-9]{{2}}){_SEP}?"
         r"(?P<line>[0-9]{4})$")


def _nanp_digits(text: pd.Series) -> pd.Series:
    """The ten digits of a plainly written NANP number, else NA (Arrow's `extract_regex`, in C++)."""
    parts = pc.extract_regex(arrow_strings(text), _NANP)
    digits = pc.binary_join_element_wise(*(extracted(parts, f) for f in ("npa", "nxx", "line")), "")
    return pd.Series(pd.array(digits, dtype="string"), index=text.index)


def phones(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(phone_e164, phone_status) for a column of raw phones.

    phonenumbers decides validity for the US by area code and exchange, so a plainly written NANP number
    is validated once per distinct NPA-NXX (with a real number of that prefix as the sample); anything
    else goes through phonenumbers once per distinct value. Placeholders are rejected either way.
    """
    text = raw.astype("string").str.strip()
    digits = _nanp_digits(text)
    plain = digits.notna()
    placeholder = plain & ((digits == digits.str.slice(0, 1).str.repeat(10)).fillna(False) |
                           digits.isin(["1234567890", "0123456789"]))
    fast = plain & ~placeholder
    e164 = pd.Series(None, index=raw.index, dtype=object)
    status = pd.Series(None, index=raw.index, dtype=object)
    if fast.any():
        prefix = digits[fast].str[:6]
        sample = digits[fast].groupby(prefix).first()
        verdict = {p: _prefix_verdict(p, d) for p, d in sample.items()}
        ok = prefix.map(verdict)
        e164[fast] = ("+1" + digits[fast]).where(ok == "ok", None).to_numpy()
        status[fast] = ok.to_numpy()
    slow = ~fast & raw.notna()
    if slow.any():
        pairs = map_distinct(raw[slow], phone_e164)
        e164[slow] = pairs.map(lambda p: p[0], na_action="ignore").to_numpy()
        status[slow] = pairs.map(lambda p: p[1], na_action="ignore").to_numpy()
    return none_for_null(e164), none_for_null(status)


# A plain ASCII address email-validator always accepts: dot-atom local part, LDH labels, alphabetic TLD.
_PLAIN_EMAIL = (r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@"
                r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}$")
_SPECIAL_TLDS = ("arpa", "invalid", "local", "localhost", "onion", "test", "internal", "home", "lan", "corp",
                 "example", "intranet", "private")


def emails(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(email_std, email_status) for a column of raw emails.

    Plain ASCII addresses (the vast majority) are accepted by a conservative regular expression that is a
    strict subset of what email-validator accepts; everything else goes through email-validator once per
    distinct value. The fake-value blocklist applies to both.
    """
    low = raw.astype("string").str.strip().str.lower()
    # before the first '@', after the last '@', after the last '.' (or the whole value): regular expressions
    # Arrow runs in C++, where `.str.split()` calls Python per row
    local = low.str.replace("(?s)@.*$", "", regex=True)
    domain = low.str.replace("(?s)^.*@", "", regex=True)
    tld = low.str.replace(r"(?s)^.*\.", "", regex=True)
    plain = low.str.fullmatch(_PLAIN_EMAIL).fillna(False) & (low.str.len() <= 254) & \
        (local.str.len() <= 64) & ~tld.isin(_SPECIAL_TLDS)
    fake = (local.isin(FAKE_EMAIL_LOCALS) | domain.isin(FAKE_EMAIL_DOMAINS)
            | local.str.fullmatch(r"[x0.]+").fillna(False))
    out = pd.Series(None, index=raw.index, dtype=object)
    status = pd.Series(None, index=raw.index, dtype=object)
    out[plain & ~fake] = low[plain & ~fake].to_numpy()
    status[plain] = np.where(fake[plain], "placeholder", "ok")
    slow = ~plain & raw.notna()
    if not slow.any():
        return none_for_null(out), none_for_null(status)
    pairs = map_distinct(raw[slow], email_std)
    out[slow] = pairs.map(lambda p: p[0], na_action="ignore").to_numpy()
    status[slow] = pairs.map(lambda p: p[1], na_action="ignore").to_numpy()
    return none_for_null(out), none_for_null(status)


def _emails_slow(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Every value through email-validator (the reference the fast path is tested against)."""
    pairs = map_distinct(raw, email_std)
    return (none_for_null(pairs.map(lambda p: p[0], na_action="ignore")),
            none_for_null(pairs.map(lambda p: p[1], na_action="ignore")))
