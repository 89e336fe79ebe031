from __future__ import annotations

import pytest

from checks.masking import mask, pii_kind


@pytest.mark.parametrize(
    "kind,value,expected",
    [
        ("email", "john.doe@example.com", "j***@e***.com"),
        ("email", "x@y.co.uk", "x***@y***.uk"),
        ("email", "not-an-email", "n***"),
        ("phone", "+15551234567", "+*********67"),
        ("phone", "(555) 123-4567", "(***) ***-**67"),
        ("name", "Mary Ann Smith", "M. A. S."),
        ("name", "SMITH, JOHN & MARY", "S. J. M."),
        ("address", "123 N Main St Apt 4", "*** N Main St Apt 4"),
        ("address", "12B Elm Rd", "*** Elm Rd"),
        ("address", "PO Box 7", "PO Box 7"),
        ("email", None, None),
    ],
)
def test_mask(kind: str, value: str | None, expected: str | None) -> None:
    assert mask(kind, value) == expected


def test_masked_values_keep_no_more_than_they_should() -> None:
    assert "john" not in (mask("email", "john@example.com") or "")
    assert sum(ch.isdigit() for ch in mask("phone", "+44 20 7123 4567") or "") == 2


@pytest.mark.parametrize(
    "column,kind",
    [
        ("email", "email"),
        ("contact_email", "email"),
        ("phone", "phone"),
        ("mobile_phone", "phone"),
        ("full_name", "name"),
        ("first_name", "name"),
        ("mail_street", "address"),
        ("mail_state", None),
        ("partner_id", None),
        ("filename", None),
    ],
)
def test_pii_columns_are_recognised_by_name(column: str, kind: str | None) -> None:
    assert pii_kind(column) == kind
    assert pii_kind(column, {column: "name"}) == "name"
