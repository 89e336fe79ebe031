"""The SQL forms of the id and code rules (`rows_sql._ascii_rule`, used for ASCII values) equal the Python
rules (`ids.pad_id`, `ids.clean_code`) value by value, and non-ASCII values still take the Python rule."""

from __future__ import annotations

import random

import duckdb
import pandas as pd
import pytest

from loaders.cleanse import feeds, rows_sql

ALPHABET = list("0123456789") * 3 + list("aZ-./ _#") + ["\t", "\n", "\x0b", "\x0c", "\r", "\x1c", "\x1f", "\x01",
                                                         "\x7f", "\u00a0", "\u2003", "\u0663", "\uff11", "\u00df"]
FIXED = [None, "", " ", "0012-345", " 0012 345 ", "12.34/5", "1234567890", "12345678901", "\x1c123\x1f", "12a",
         "\u0663\u0663", "\uff11\uff12", "\u00a0123\u00a0", "-", "./-", " sp1 ", "ß", "sp\u00a01", "\x1cabc\x1d",
         "abc\x01", "\x85x\x85", "MiXeD", "  \t\n"]


def _values() -> list[str | None]:
    rng = random.Random(11)
    values = set(v for v in FIXED if v is not None)
    for _ in range(4000):
        values.add("".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 13))))
    return [None, *sorted(values)]


@pytest.mark.parametrize("rule", [feeds.R("v", "id:10", required=True), feeds.R("v", "id:12"),
                                  feeds.R("v", "code", required=True), feeds.R("v", "code"),
                                  feeds.R("v", "lower", "v_std")], ids=lambda r: f"{r.kind}-{r.required}")
def test_sql_rule_equals_python_rule(rule: feeds.Rule) -> None:
    values = _values()
    con = duckdb.connect()
    frame = pd.DataFrame({"v": pd.Series(values, dtype=object)})
    con.register("vals", frame)
    con.execute("CREATE TABLE uf_src_rows AS SELECT * FROM vals")
    with rows_sql.mappings(con) as m:
        std = m.rule("r0", rule, "America/Chicago")
        flags = ", ".join(f"{f} AS f{i}" for i, (f, _, _) in enumerate(m.flags))
        got = con.execute(f"SELECT s.v, {std} AS std{', ' + flags if flags else ''} FROM {m.source()} s "
                          f"{' '.join(m.joins)}").df()
    expected, issues = feeds.rule_table(rule, pd.Series(values, dtype=object), "America/Chicago")
    assert [code for _, code, _ in m.flags] == [code for code, _ in issues]
    got = got.astype(object).where(got.notna(), None).set_index(got["v"].fillna("<null>"))
    expected = expected.astype(object).where(expected.notna(), None).set_index(expected["raw"].fillna("<null>"))
    assert len(got) == len(expected) == len(values)
    wrong = [v for v in expected.index if got.at[v, "std"] != expected.at[v, "std"]
             or any(bool(got.at[v, f"f{i}"]) != bool(expected.at[v, f"f{i}"]) for i in range(len(issues)))]
    assert wrong == []
    # the corpus reaches both outcomes of every flag
    assert expected["std"].notna().sum() > 100
    assert all(0 < expected[f"f{i}"].sum() < len(values) for i in range(len(issues)))
