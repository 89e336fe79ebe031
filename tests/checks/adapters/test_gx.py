"""GX suite -> native checks: every listed expectation translates (and loads as a suite), GX semantics
are kept, and what cannot be translated is refused by name, never dropped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from checks.adapters import gx
from checks.errors import SuiteError
from checks.suite import load_suite, parse_suite

C = {"column": "c"}
LISTED = {
    "expect_column_values_to_not_be_null": C,
    "expect_column_values_to_be_null": C,
    "expect_column_values_to_be_unique": C,
    "expect_compound_columns_to_be_unique": {"column_list": ["a", "b"]},
    "expect_column_values_to_be_between": {**C, "min_value": 1, "max_value": 5, "strict_max": True},
    "expect_column_values_to_be_in_set": {**C, "value_set": ["x", "y"]},
    "expect_column_values_to_not_be_in_set": {**C, "value_set": ["n/a"]},
    "expect_column_values_to_match_regex": {**C, "regex": "^a"},
    "expect_column_values_to_not_match_regex": {**C, "regex": "^a"},
    "expect_column_values_to_match_regex_list": {**C, "regex_list": ["^a", "^b"], "match_on": "all"},
    "expect_column_values_to_match_like_pattern": {**C, "like_pattern": "%@%"},
    "expect_column_value_lengths_to_be_between": {**C, "min_value": 2, "max_value": 4},
    "expect_column_value_lengths_to_equal": {**C, "value": 5},
    "expect_table_row_count_to_be_between": {"min_value": 1, "max_value": 9},
    "expect_table_row_count_to_equal": {"value": 3},
    "expect_column_to_exist": C,
    "expect_table_columns_to_match_set": {"column_set": ["a", "c"], "exact_match": False},
    "expect_table_columns_to_match_ordered_list": {"column_list": ["a", "c"]},
    "expect_column_min_to_be_between": {**C, "min_value": 0},
    "expect_column_max_to_be_between": {**C, "max_value": 9},
    "expect_column_mean_to_be_between": {**C, "min_value": 1, "max_value": 2},
    "expect_column_median_to_be_between": {**C, "min_value": 1, "max_value": 2},
    "expect_column_sum_to_be_between": {**C, "max_value": 100},
    "expect_column_stdev_to_be_between": {**C, "max_value": 3},
    "expect_column_unique_value_count_to_be_between": {**C, "min_value": 2},
    "expect_column_proportion_of_unique_values_to_be_between": {**C, "min_value": 0.5},
    "expect_column_pair_values_a_to_be_greater_than_b": {"column_A": "a", "column_B": "b", "or_equal": True},
    "expect_column_pair_values_to_be_equal": {"column_A": "a", "column_B": "b"},
    "expect_multicolumn_sum_to_equal": {"column_list": ["a", "b"], "sum_total": 10},
}


def _suite(doc: dict) -> gx.Translation:
    return gx.translate(doc)


def test_every_listed_expectation_translates_and_loads() -> None:
    doc = {"expectations": [{"type": t, "kwargs": k} for t, k in LISTED.items()]}
    t = _suite(doc)
    assert not t.refused, [r.message() for r in t.refused]
    assert len(t.checks) == len(LISTED) >= 25
    suite = parse_suite(yaml.safe_dump({"dataset": "x", "stage": "raw", "checks": t.checks}))
    assert len(suite.checks) == len(LISTED)


def test_gx_semantics_are_kept() -> None:
    t = _suite(
        {
            "expectations": [
                {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "e", "mostly": 0.9}},
                {
                    "type": "expect_column_values_to_be_between",
                    "kwargs": {"column": "k", "min_value": 0, "strict_min": True},
                },
                {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "s", "value_set": []}},
                {"type": "expect_column_values_to_be_between", "kwargs": {"column": "t", "max_value": "2026-01-01"}},
                {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["a", "b"]}},
            ]
        }
    )
    nn, rng, empty_set, dates, compound = t.checks
    assert nn["pass_rate"] == {"fail": 0.9} and nn["blank_is_null"] is False  # GX: '' is a value
    assert rng["strict_min"] is True and rng["min"] == 0
    assert empty_set["type"] == "is_null"  # an empty value_set makes every present value unexpected
    assert dates["as_type"] == "timestamp"
    assert compound["type"] == "unique" and compound["columns"] == ["a", "b"]


@pytest.mark.parametrize(
    ("etype", "kwargs", "reason"),
    [
        ("expect_column_kl_divergence_to_be_less_than", {"column": "c"}, "no native translation"),
        (
            "expect_column_values_to_be_in_set",
            {"column": "c", "value_set": [1], "row_condition": "x.isin([1])", "condition_parser": "pandas"},
            "row_condition",
        ),
        (
            "expect_column_values_to_be_unique",
            {"column": "c", "row_condition": "x > 1", "condition_parser": "pandas"},
            "row_condition on expect_column_values_to_be_unique",
        ),
        ("expect_column_values_to_be_between", {"column": "c", "min_value": 5, "max_value": 1}, "greater than"),
        ("expect_column_values_to_be_between", {"column": "c"}, "both missing"),
        ("expect_column_values_to_not_be_null", {"column": "c", "mostly": 1.1}, "between 0 and 1"),
        (
            "expect_column_values_to_be_between",
            {"column": "c", "min_value": 1, "parse_strings_as_datetimes": True},
            "not supported",
        ),
        ("expect_column_to_exist", {"column": "c", "column_index": 2}, "column_index"),
    ],
)
def test_untranslatable_expectations_are_refused_by_name(etype: str, kwargs: dict, reason: str) -> None:
    t = _suite({"expectations": [{"type": etype, "kwargs": kwargs}]})
    assert not t.checks and len(t.refused) == 1
    assert etype in t.refused[0].message() and reason in t.refused[0].message()


def test_suite_form_keeps_refused_expectations_as_external_checks(tmp_path: Path) -> None:
    doc = {
        "name": "s",
        "expectations": [
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "e"}, "severity": "critical"},
            {"type": "expect_column_kl_divergence_to_be_less_than", "kwargs": {"column": "k", "threshold": 0.1}},
        ],
    }
    (tmp_path / "gx.json").write_text(json.dumps(doc))
    (tmp_path / "s.yml").write_text("dataset: t\nstage: raw\ndimension: completeness\ngx_suite: gx.json\n")
    suite = load_suite(tmp_path / "s.yml")
    assert [(c.id, c.type, c.dimension, c.severity) for c in suite.checks] == [
        ("gx.01.not_be_null.e", "not_null", "completeness", "critical"),
        ("gx.02.kl_divergence_to_be_less_than.k", "external", "completeness", "warning"),
    ]
    assert "kl_divergence" in suite.checks[1].check.definition


def test_a_broken_gx_file_is_one_clear_problem(tmp_path: Path) -> None:
    (tmp_path / "gx.json").write_text("{not json")
    (tmp_path / "s.yml").write_text("dataset: t\nstage: raw\ngx_suite: gx.json\n")
    with pytest.raises(SuiteError) as e:
        load_suite(tmp_path / "s.yml")
    assert "gx.json:1: not valid JSON" in str(e.value) and "s.yml:3" in str(e.value)


@pytest.mark.parametrize(
    ("condition", "parser", "where"),
    [
        ('col("x") > 5', "great_expectations", {"column": "x", "op": ">", "value": 5}),
        (
            'x!=1 & w=="a"',
            "pandas",
            {"all": [{"column": "x", "op": "<>", "value": 1}, {"column": "w", "op": "=", "value": "a"}]},
        ),
        (
            {
                "type": "or",
                "conditions": [
                    {"type": "comparison", "column": {"name": "s"}, "operator": "IN", "parameter": ["a", "b"]},
                    {"type": "nullity", "column": {"name": "t"}, "is_null": True},
                ],
            },
            "great_expectations",
            {"any": [{"column": "s", "in": ["a", "b"]}, {"column": "t", "is_null": True}]},
        ),
    ],
)
def test_row_conditions_translate_to_where(condition: object, parser: str, where: dict) -> None:
    kwargs = {"column": "c", "value_set": [1], "row_condition": condition, "condition_parser": parser}
    t = _suite({"expectations": [{"type": "expect_column_values_to_be_in_set", "kwargs": kwargs}]})
    assert t.checks[0]["where"] == where
    parse_suite(yaml.safe_dump({"dataset": "x", "stage": "raw", "checks": t.checks}))


@pytest.mark.parametrize(
    ("ignore", "evaluated", "failed"), [("all_values_are_missing", 3, 2), ("any_value_is_missing", 1, 0)]
)
def test_compound_unique_ignore_row_if(engine: object, ignore: str, evaluated: int, failed: int) -> None:
    """GX's default judges a compound key unless every part is missing (missing parts compare equal)."""
    from monitor.runner import run_suite
    from tests.conftest import make_table

    make_table(engine, "cu", {"a": "int", "b": "int"}, [(1, None), (1, None), (None, None), (None, None), (2, 3)])
    kwargs = {"column_list": ["a", "b"], "ignore_row_if": ignore}
    t = _suite({"expectations": [{"type": "expect_compound_columns_to_be_unique", "kwargs": kwargs}]})
    suite = parse_suite(yaml.safe_dump({"dataset": "cu", "stage": "raw", "checks": t.checks}))
    result = run_suite(engine, suite).results[0]  # type: ignore[arg-type]
    assert (result.rows_evaluated, result.rows_failed) == (evaluated, failed)
