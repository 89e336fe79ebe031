"""PII masking of alert values: emails, phones, street addresses, name/contact columns; not dates or counts."""

from __future__ import annotations

import pytest

from monitor.alerts.redact import mask_text, mask_value


@pytest.mark.parametrize(
    ("text", "gone"),
    [
        ("contact jane.doe@example.com now", "jane.doe@example.com"),
        ("call +1 (555) 867-5309 today", "867-5309"),
        ("mobile 555.867.5309", "867.5309"),
        ("phone 5558675309", "5558675309"),
        ("lives at 742 Evergreen Terrace, Springfield", "Evergreen"),
        ("premise 12B North Main St Apt 4", "Main St"),
    ],
)
def test_free_text_pii_is_masked(text: str, gone: str) -> None:
    masked = mask_text(text)
    assert gone not in masked and masked != text


@pytest.mark.parametrize("text", ["2026-03-02", "7 of 1000000 rows failed", "observed 0.93 vs 0.95", "CUST-00042",
                                  "batch 123456"])
def test_dates_counts_and_ids_are_kept(text: str) -> None:
    assert mask_text(text) == text


def test_pii_columns_are_masked_whole() -> None:
    assert mask_value("Jane Doe", "customer_name") == "J***"
    assert mask_value("742 Evergreen Terrace", "service_address") == "7***"
    assert mask_value("jane.doe@example.com", "email") == "j***@***.com"
    assert mask_value("ACME-1", "account_status") == "ACME-1"
    assert mask_value(None, "email") is None
