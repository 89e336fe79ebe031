"""The meter-data VEE family on a small interval table, on DuckDB and PostgreSQL.

Two UTC days of quarter-hours spanning 2026-03-08, the US spring-forward day: its local day has 92
quarter-hours, its UTC day 96, so counting in UTC reports no false gap."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from checks.results import Outcome
from checks.suite import parse_suite
from monitor.runner import run_suite
from tests.conftest import make_table

START = datetime(2026, 3, 8)  # UTC midnight; intervals are stamped at their END


def _intervals() -> list[tuple[str, str, datetime, float]]:
    rows = []
    for i in range(1, 193):
        if i in (10, 11):
            continue  # two missing intervals on day 1
        value = 0.5 + (i % 4) * 0.1
        if i == 50:
            value = 5.0  # a spike on day 1
        if 100 <= i <= 109:
            value = 2.5  # a flat line of 10 intervals on day 2
        if i == 150:
            value = -1.0  # negative
        rows.append(("A", "1", START + timedelta(minutes=15 * i), value))
    rows.append(("A", "1", START + timedelta(minutes=15 * 60), 0.55))  # conflicting duplicate
    rows.append(("A", "1", START + timedelta(minutes=15 * 61), 0.5 + (61 % 4) * 0.1))  # identical re-send
    day2 = START + timedelta(days=1)
    rows += [("B", "1", day2 + timedelta(minutes=15 * i), 0.0) for i in range(1, 97)]  # a day of zeros
    return rows


def _daily_usage(rows: list[tuple[str, str, datetime, float]]) -> dict[tuple[str, date], float]:
    usage: dict[tuple[str, date], float] = defaultdict(float)
    for sp, _, ts, v in rows:
        usage[(sp, (ts - timedelta(minutes=15)).date())] += v
    return usage


SUITE = """
dataset: intervals
stage: cleansed
checks:
  - {id: gaps, type: interval_count, timestamp: ts}
  - {id: dupes, type: duplicate_interval, timestamp: ts}
  - {id: spike, type: spike, timestamp: ts}
  - {id: zeros, type: zero_run, timestamp: ts}
  - {id: flat, type: flat_line, timestamp: ts}
  - {id: negative, type: negative, value: value, channel: channel, allowed_channels: ['2']}
  - {id: sum, type: sum_check, timestamp: ts, register: registers, register_key: sp,
     register_date: read_date, register_value: reading, register_multiplier: mult}
"""
REGISTER_SUITE = """
dataset: registers
stage: cleansed
checks:
  - {id: rollover, type: rollover, keys: [sp], timestamp: read_date, value: reading, dials: dials}
  - {id: mult, type: multiplier_unit, meter_key: sp, date: read_date, multiplier: mult, unit: unit,
     meters: meters, meters_key: sp}
"""


@pytest.fixture
def meter_data(engine: sa.Engine) -> sa.Engine:
    rows = _intervals()
    make_table(
        engine,
        "intervals",
        {"service_point_id": "text", "channel": "text", "ts": "ts", "value": "float"},
        rows,
    )
    usage = _daily_usage(rows)
    d0, d1, d2 = date(2026, 3, 7), date(2026, 3, 8), date(2026, 3, 9)
    r1 = 1000 + usage[("A", d1)]
    registers = [  # sum check: day 1 agrees, day 2 is off by 10 kWh
        ("A", d0, 1000.0, 1.0, "kWh", 5),
        ("A", d1, r1, 1.0, "kWh", 5),
        ("A", d2, r1 + usage[("A", d2)] + 10, 10.0, "kWh", 5),
        # rollover: 9950 -> 30 on a 4-dial register is a rollover; 30 -> 25 is a bad decrease
        ("R", d0, 9950.0, 1.0, "kWh", 4),
        ("R", d1, 30.0, 1.0, "kWh", 4),
        ("R", d2, 25.0, 1.0, "kWh", 4),
        ("C", d2, 5.0, 1.0, "kWh", 4),
    ]
    make_table(
        engine,
        "registers",
        {
            "sp": "text",
            "read_date": "date",
            "reading": "float",
            "mult": "float",
            "unit": "text",
            "dials": "int",
        },
        registers,
    )
    make_table(
        engine,
        "meters",
        {
            "sp": "text",
            "meter_multiplier": "float",
            "meter_unit": "text",
            "install_date": "date",
            "remove_date": "date",
        },
        [("A", 1.0, "kWh", date(2020, 1, 1), None), ("R", 1.0, "kWh", date(2020, 1, 1), None)],
    )
    return engine


def test_vee_interval_checks(meter_data: sa.Engine) -> None:
    run = run_suite(meter_data, parse_suite(SUITE, "intervals.yml"))
    r = {x.check_id: x for x in run.results}
    assert not [x.message for x in run.results if x.status is Outcome.ERROR]
    assert (r["gaps"].rows_evaluated, r["gaps"].rows_failed) == (96 * 3, 2)  # A: 2 days, B: 1 day
    assert r["gaps"].metrics["held_days"] == 1
    assert r["dupes"].metrics["excess_rows"] == 2 and r["dupes"].rows_failed == 2
    assert (r["spike"].rows_evaluated, r["spike"].rows_failed) == (3, 1)
    assert r["zeros"].metrics["runs"] == 1 and r["zeros"].rows_failed == 96
    assert r["flat"].metrics["runs"] == 1 and r["flat"].rows_failed == 10
    assert r["negative"].rows_failed == 1
    assert (r["sum"].rows_evaluated, r["sum"].rows_failed) == (2, 1)
    assert r["spike"].samples and r["spike"].samples[0].key == "A|1"
    # aggregate scan (negative) + one VEE statement for six window/join checks + samples
    assert [s.family for s in run.log].count("vee") == 1
    assert run.statements == 3


def test_vee_register_checks(meter_data: sa.Engine) -> None:
    run = run_suite(meter_data, parse_suite(REGISTER_SUITE, "registers.yml"))
    r = {x.check_id: x for x in run.results}
    assert not [x.message for x in run.results if x.status is Outcome.ERROR]
    assert r["rollover"].metrics["rollovers"] == 1 and r["rollover"].rows_failed == 1
    assert r["mult"].rows_failed == 1 and r["mult"].metrics["unmatched"] == 1


def test_local_timestamps_are_counted_in_utc_days(engine: sa.Engine) -> None:
    """Two full UTC days stamped in Chicago local time across spring-forward (the local day of
    2026-03-08 has 92 quarter-hours): with `timezone` set, each UTC day has its 96 intervals."""
    from zoneinfo import ZoneInfo

    utc, chicago = ZoneInfo("UTC"), ZoneInfo("America/Chicago")
    start = datetime(2026, 3, 8, tzinfo=utc)
    rows = [
        ("A", "1", (start + timedelta(minutes=15 * i)).astimezone(chicago).replace(tzinfo=None), 1.0)
        for i in range(1, 193)
    ]
    assert sum(1 for r in rows if r[2].date() == date(2026, 3, 8)) < 96  # a short local day
    make_table(
        engine, "local_intervals", {"service_point_id": "text", "channel": "text", "ts": "ts", "value": "float"}, rows
    )
    suite = parse_suite(
        "dataset: local_intervals\nstage: raw\nchecks:\n"
        "  - {id: gaps, type: interval_count, timestamp: ts, timezone: America/Chicago}\n"
    )
    (r,) = run_suite(engine, suite).results
    assert (r.rows_evaluated, r.rows_failed) == (192, 0), r.message
