"""A check's `where:` filter (GX row_condition): only matching rows are judged, inside the one scan."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from checks.errors import SuiteError
from checks.suite import parse_suite
from monitor.runner import run_suite
from tests.conftest import make_table

SUITE = """
dataset: w_people
stage: raw
checks:
  - {id: tx_tariff, type: accepted_values, column: tariff, values: [RES1], where: {column: state, op: '=', value: TX}}
  - {id: big_mean, type: range, column: kwh, of: mean, min: 50, where: {column: kwh, op: '>=', value: 10}}
  - id: any_of
    type: not_null
    column: email
    where: {any: [{column: state, in: [OK]}, {column: kwh, op: '<', value: 0}]}
  - {id: known_state, type: length, column: state, min: 2, max: 2, where: {column: state, is_null: false}}
"""


def test_where_limits_the_rows_judged(engine: Engine) -> None:
    rows = [
        ("TX", "RES1", 100.0, "a@x.com"),
        ("TX", "COM1", 5.0, None),
        ("OK", "COM1", 80.0, None),
        (None, "XXX", -1.0, None),
        ("LA", "RES2", 20.0, "b@x.com"),
    ]
    make_table(engine, "w_people", {"state": "text", "tariff": "text", "kwh": "float", "email": "text"}, rows)
    run = run_suite(engine, parse_suite(SUITE))
    got = {r.check_id: (r.status.value, r.rows_evaluated, r.rows_failed, r.observed) for r in run.results}
    assert got["tx_tariff"][:3] == ("fail", 2, 1)  # only the two TX rows, one with COM1
    assert got["big_mean"][0] == "pass" and got["big_mean"][3] == pytest.approx(200 / 3)  # 100, 80, 20
    assert got["any_of"][:3] == ("fail", 2, 2)  # OK row and the negative-kWh row, both without email
    assert got["known_state"][:3] == ("pass", 4, 0)
    sample = next(r for r in run.results if r.check_id == "tx_tariff").samples
    assert [s.value for s in sample] == ["COM1"]  # samples respect the filter (not OK's COM1)
    assert run.statements <= 2


def test_where_is_refused_where_it_cannot_apply() -> None:
    with pytest.raises(SuiteError) as e:
        parse_suite(
            "dataset: t\nstage: raw\nchecks:\n"
            "  - {id: u, type: unique, column: a, where: {column: b, op: '=', value: 1}}\n"
            "  - {id: r, type: row_count, where: {column: b, op: '=', value: 1}}\n"
            "  - {id: v, type: not_null, column: a, where: {column: b, op: '~', value: 1}}\n"
        )
    text = str(e.value)
    assert "<suite>:4: check 'u': 'where' is not supported for duplicates checks" in text
    assert "<suite>:5: check 'r': 'where' is not supported for table checks" in text
    assert "<suite>:6: check 'v': where op '~' must be one of" in text


def test_where_changes_the_definition_hash_only_when_set() -> None:
    plain = parse_suite("dataset: t\nstage: raw\nchecks:\n  - {id: a, type: not_null, column: x}\n").checks[0]
    assert plain.definition == (plain.type, plain.check, plain.dimension, plain.severity, plain.threshold)
    filtered = parse_suite(
        "dataset: t\nstage: raw\nchecks:\n  - {id: a, type: not_null, column: x, where: {column: y, is_null: true}}\n"
    ).checks[0]
    assert filtered.definition_hash != plain.definition_hash
