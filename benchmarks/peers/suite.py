"""The 13-check suite of bench_checks.py in SodaCL and as a GX expectation suite (same regexes)."""

from __future__ import annotations

from typing import Any

from checks.patterns import PATTERNS

RX = {n: PATTERNS[n].regex for n in ("email", "phone_e164", "zip5", "cis_contract_account")}
STATES, TARIFFS = ["TX", "OK", "LA", "NM", "AR"], ["RES1", "RES2", "COM1"]
CHECKS = [
    "email_present",
    "id_unique",
    "email_valid",
    "phone_valid",
    "zip_valid",
    "account_valid",
    "state_valid",
    "tariff_valid",
    "kwh_range",
    "zip_len",
    "not_future",
    "phone_missing_rate",
    "kwh_mean",
]


def sodacl(now: str, samples: bool = True) -> str:
    """The 13 checks in SodaCL; `samples=False` adds `samples limit: 0` to the checks Soda samples."""
    checks = [
        ("missing_count(email) = 0", "email_present", {}),
        ("duplicate_count(customer_id) = 0", "id_unique", {}),
        ("invalid_count(email) = 0", "email_valid", {"valid regex": RX["email"]}),
        ("invalid_count(phone) = 0", "phone_valid", {"valid regex": RX["phone_e164"]}),
        ("invalid_count(zip) = 0", "zip_valid", {"valid regex": RX["zip5"]}),
        ("invalid_count(account_number) = 0", "account_valid", {"valid regex": RX["cis_contract_account"]}),
        ("invalid_count(state) = 0", "state_valid", {"valid values": STATES}),
        ("invalid_count(tariff) = 0", "tariff_valid", {"valid values": TARIFFS}),
        ("invalid_count(kwh) = 0", "kwh_range", {"valid min": 0, "valid max": 5000}),
        ("invalid_count(zip) = 0", "zip_len", {"valid length": 5}),
        (
            "future_count = 0",
            "not_future",
            {"future_count expression": f"SUM(CASE WHEN created_at > TIMESTAMP '{now}' THEN 1 ELSE 0 END)"},
        ),
        ("missing_percent(phone)", "phone_missing_rate", {"warn": "when > 1%", "fail": "when > 5%"}),
        ("avg(kwh) between 100 and 2000", "kwh_mean", {}),
    ]
    import yaml

    items = []
    for line, name, config in checks:
        extra = {"samples limit": 0} if not samples and line.startswith(("missing", "invalid", "duplicate")) else {}
        items.append({line: {"name": name, **config, **extra}})
    return yaml.safe_dump({"checks for bench_customer": items}, sort_keys=False)


def gx_expectations(now: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        ("email_present", "expect_column_values_to_not_be_null", {"column": "email"}),
        ("id_unique", "expect_column_values_to_be_unique", {"column": "customer_id"}),
        ("email_valid", "expect_column_values_to_match_regex", {"column": "email", "regex": RX["email"]}),
        ("phone_valid", "expect_column_values_to_match_regex", {"column": "phone", "regex": RX["phone_e164"]}),
        ("zip_valid", "expect_column_values_to_match_regex", {"column": "zip", "regex": RX["zip5"]}),
        (
            "account_valid",
            "expect_column_values_to_match_regex",
            {"column": "account_number", "regex": RX["cis_contract_account"]},
        ),
        ("state_valid", "expect_column_values_to_be_in_set", {"column": "state", "value_set": STATES}),
        ("tariff_valid", "expect_column_values_to_be_in_set", {"column": "tariff", "value_set": TARIFFS}),
        ("kwh_range", "expect_column_values_to_be_between", {"column": "kwh", "min_value": 0, "max_value": 5000}),
        ("zip_len", "expect_column_value_lengths_to_equal", {"column": "zip", "value": 5}),
        ("not_future", "expect_column_values_to_be_between", {"column": "created_at", "max_value": now}),
        ("phone_missing_rate", "expect_column_values_to_not_be_null", {"column": "phone", "mostly": 0.95}),
        ("kwh_mean", "expect_column_mean_to_be_between", {"column": "kwh", "min_value": 100, "max_value": 2000}),
    ]
