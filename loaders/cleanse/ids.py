"""Identifiers: digits only, left-padded to the source's length (spreadsheets strip leading zeros)."""

from __future__ import annotations

import pandas as pd

from loaders.cleanse import none_for_null

# Source lengths of the zero-padded CIS ids.
LENGTHS = {"partner_id": 10, "premise_id": 10, "contract_account": 12, "account_number": 12}


def pad_id(raw: pd.Series, length: int) -> pd.Series:
    """Digits-only ids left-padded to `length`; None where the value has no digits or is too long.

    Separators typed by people (`1234-5678`, ` 0012 345`) are dropped; letters make the id invalid.
    """
    s = raw.astype("string").str.strip()
    digits = s.str.replace(r"[\s\-./]", "", regex=True)
    ok = digits.str.fullmatch(rf"\d{{1,{length}}}").fillna(False) & (digits.str.len() > 0)
    return none_for_null(digits.str.zfill(length).where(ok))


def account_from_text(raw: pd.Series, length: int = 12) -> pd.Series:
    """A CIS contract account from free text typed in CRM (`acct 0001-2345-678`, `12345678`, `#123...`)."""
    s = raw.astype("string").str.replace(r"(?i)^\s*(acct|account|a/c|no\.?|#)[\s:#.]*", "", regex=True)
    digits = s.str.replace(r"[\s\-./#]", "", regex=True)
    ok = digits.str.fullmatch(rf"\d{{6,{length}}}").fillna(False)
    return none_for_null(digits.str.zfill(length).where(ok))


def clean_code(raw: pd.Series, upper: bool = True) -> pd.Series:
    """A code or id trimmed (and upper-cased); empty -> None."""
    s = raw.astype("string").str.strip()
    if upper:
        s = s.str.upper()
    return none_for_null(s.where(s.str.len() > 0))
