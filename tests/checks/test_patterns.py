"""Named patterns: the regex (DuckDB, PostgreSQL) and the T-SQL form agree on a corpus.

SQL Server is not available here, so the T-SQL form is evaluated by a small interpreter with T-SQL's
rules (varchar LIKE ignores blanks left over at the end of the value, LEN ignores trailing
blanks, binary-collation ranges); the regex side runs on a real DuckDB (and PostgreSQL when reachable).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from sqlglot import exp

from checks.errors import CompileError
from checks.patterns import PATTERNS, tsql_match

CORPUS: dict[str, tuple[list[str], list[str]]] = {
    "email": (
        ["ann@example.com", "a.b+c_d%e-f@sub-1.example.co", "X@Y.ZZ", "a@b.c.de", "ann@-.co"],
        [
            "",
            "ann",
            "@example.com",
            "ann@",
            "ann@example",
            "ann@example.c",
            "ann@@example.com",
            "a@b@example.com",
            "ann@.example.com",
            "ann@example..com",
            "ann@example.com.",
            "ann @example.com",
            "ann@example.com ",
            " ann@example.com",
            "ann@exa_mple.com",
            "ann@example.c0m",
            "ann@example.com\n",
            "ann@ex!ample.com",
            "ánn@example.com",
            "ann@example.123",
        ],
    ),
    "phone_e164": (
        ["+15551234567", "+442071234567", "+12", "+123456789012345"],
        [
            "",
            "15551234567",
            "+05551234567",
            "+1",
            "+1234567890123456",
            "+1 555 123 4567",
            "+1555123456a",
            "+15551234567 ",
            "++15551234567",
            "+1-555-1234",
            "+١٥٥٥١٢٣٤٥٦٧",
        ],
    ),
    "zip5": (["75001", "00501"], ["", "7500", "750011", "75001 ", " 7500", "7500a", "75001-1234", "٧٥٠٠١"]),
    "zip9": (
        ["75001-1234"],
        ["75001", "75001-123", "75001 1234", "75001-1234 ", "7500a-1234", "75001-12345"],
    ),
    "zip": (["75001", "75001-1234"], ["", "7500", "75001-", "75001-1234 ", "75001 "]),
    "us_state": (["TX", "OK"], ["tx", "T", "TEX", "T1", "TX ", "", "Tx"]),
    "iso_date": (
        ["2024-01-31", "1999-12-01", "2024-02-30"],
        [
            "2024-13-01",
            "2024-00-10",
            "2024-01-32",
            "2024-01-00",
            "2024/01/31",
            "24-01-31",
            "2024-1-31",
            "2024-01-31 ",
            "2024-01-31T00:00",
            "",
        ],
    ),
    "yyyymmdd": (
        ["20240131", "19991201"],
        ["20241301", "20240132", "00000000", "2024013", "202401311", "20240131 ", "2024-01-31", "2024013a"],
    ),
    "cis_partner_id": (
        ["0001234567", "1234567890"],
        ["1234567", "12345678901", "000123456a", "0001234567 ", ""],
    ),
    "cis_contract_account": (["000000123456"], ["123456", "0000001234567", "00000012345a"]),
    "cis_premise_id": (["0000012345"], ["12345", "00000123456"]),
    "digits": (["0", "0123456789"], ["", " ", "12a", "1 2", "12 "]),
    "amount2": (
        ["0.00", "152.26", "-45.10", "100000.99", "7.05"],
        ["15226", "152.2", "152.260", ".26", "-.26", "1-2.26", "--1.26", "1.2.26", "+1.26", "1,52.26", "152.26 ",
         " 152.26", "152,26", "-", "", "1e2.00", "15.2a", "-1-.26"],
    ),
}


def _like(value: str, pattern: str) -> bool:
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        elif ch == "[":
            j = pattern.index("]", i + 2)
            body = pattern[i + 1 : j]
            negate = body.startswith("^")
            body = body[1:] if negate else body
            out.append("[" + ("^" if negate else "") + body.replace("\\", "\\\\").replace("[", "\\[") + "]")
            i = j
        else:
            out.append(re.escape(ch))
        i += 1
    # varchar LIKE: blanks left over at the end of the value once the pattern is consumed are ignored
    # (so 'abc ' LIKE 'abc' holds, and 'abc ' LIKE '% ' holds too); NVARCHAR is stricter, never looser.
    trailing = len(value) - len(value.rstrip(" "))
    return any(re.fullmatch("".join(out), value[: len(value) - k], re.DOTALL) for k in range(trailing + 1))


def tsql_eval(e: exp.Expression, value: str) -> Any:
    """Evaluate the T-SQL subset the named patterns use, with T-SQL's semantics."""
    ev = lambda x: tsql_eval(x, value)  # noqa: E731
    if isinstance(e, exp.Column):
        return value
    if isinstance(e, exp.Literal):
        return e.this if e.is_string else int(e.this)
    if isinstance(e, exp.Paren | exp.Collate):
        return ev(e.this)
    if isinstance(e, exp.Like):
        return _like(ev(e.this), ev(e.expression))
    if isinstance(e, exp.Not):
        return not ev(e.this)
    if isinstance(e, exp.And):
        return ev(e.this) and ev(e.expression)
    if isinstance(e, exp.Or):
        return ev(e.this) or ev(e.expression)
    if isinstance(e, exp.Length):
        return len(ev(e.this).rstrip(" "))  # LEN ignores trailing blanks
    if isinstance(e, exp.Between):
        v = ev(e.this)
        return ev(e.args["low"]) <= v <= ev(e.args["high"])
    if isinstance(e, exp.EQ | exp.GTE | exp.LTE | exp.GT | exp.LT):
        a, b = ev(e.this), ev(e.expression)
        return {exp.EQ: a == b, exp.GTE: a >= b, exp.LTE: a <= b, exp.GT: a > b, exp.LT: a < b}[type(e)]
    if isinstance(e, exp.Add):
        return ev(e.this) + ev(e.expression)
    if isinstance(e, exp.Sub):
        return ev(e.this) - ev(e.expression)
    if isinstance(e, exp.StrPosition):
        return ev(e.this).find(ev(e.args["substr"])) + 1
    if isinstance(e, exp.Left | exp.Right):
        n = ev(e.expression)
        if n < 0:
            raise ValueError("Invalid length parameter passed to the LEFT or SUBSTRING function")
        s = ev(e.this)
        return s[:n] if isinstance(e, exp.Left) else (s[len(s) - n :] if n else "")
    if isinstance(e, exp.Reverse):
        return ev(e.this)[::-1]
    if isinstance(e, exp.Substring):
        s, start, n = ev(e.this), ev(e.args["start"]), ev(e.args["length"])
        return s[start - 1 : start - 1 + n]
    raise AssertionError(f"the test's T-SQL interpreter has no rule for {type(e).__name__}; add one")


CASES = [(name, v, ok) for name, (good, bad) in CORPUS.items() for ok, vs in ((True, good), (False, bad)) for v in vs]


def _regex_results(engine: sa.Engine, op: str) -> dict[tuple[str, str], bool]:
    out = {}
    with engine.connect() as conn:
        for name, value, _ in CASES:
            q = sa.text(f"SELECT {op}")
            out[(name, value)] = bool(conn.execute(q, {"v": value, "r": PATTERNS[name].regex}).scalar())
    return out


def test_every_named_pattern_has_a_corpus() -> None:
    assert set(CORPUS) == set(PATTERNS)


@pytest.mark.parametrize("name,value,expected", CASES)
def test_regex_and_tsql_form_agree(name: str, value: str, expected: bool, duck: sa.Engine) -> None:
    assert (re.search(PATTERNS[name].regex.replace("$", r"\Z"), value) is not None) == expected
    with duck.connect() as conn:
        assert (
            conn.execute(sa.text("SELECT regexp_matches(:v, :r)"), {"v": value, "r": PATTERNS[name].regex}).scalar()
            == expected
        )
    assert tsql_eval(PATTERNS[name].tsql(exp.column("v")), value) == expected


@pytest.mark.postgres
def test_postgres_regex_agrees(pg: sa.Engine) -> None:
    results = _regex_results(pg, ":v ~ :r")
    assert {k for k, v in results.items() if v} == {(n, v) for n, v, ok in CASES if ok}


RAW = [
    ("^AB[0-9]{3}$", ["AB123"], ["AB12", "ab123", "AB1234", "AB123 "]),
    ("^[A-Z_-]{2,4}$", ["AB", "A-_Z"], ["A", "ABCDE", "a1", "AB "]),
    ("[0-9]{3}-[0-9]{4}", ["call 555-1234 now", "555-1234"], ["55-1234", "5551234"]),
    ("^50%_off$", ["50%_off"], ["50x_off", "50%xoff"]),
]


@pytest.mark.parametrize("regex,good,bad", RAW)
def test_translatable_raw_regex_is_exact(regex: str, good: list[str], bad: list[str], duck: sa.Engine) -> None:
    tree = tsql_match(exp.column("v"), regex, named=False)
    with duck.connect() as conn:
        for value, expected in [(g, True) for g in good] + [(b, False) for b in bad]:
            assert conn.execute(sa.text("SELECT regexp_matches(:v, :r)"), {"v": value, "r": regex}).scalar() == expected
            assert tsql_eval(tree, value) == expected, (regex, value)


@pytest.mark.parametrize("regex", ["^(a|b)+$", "^[0-9]+-[0-9]+$", "^a.c$", r"^\w+$", "^x*y+$"])
def test_untranslatable_regex_is_refused(regex: str) -> None:
    with pytest.raises(CompileError) as e:
        tsql_match(exp.column("v"), regex, named=False)
    assert e.value.code == "regex_not_portable"
    assert regex in str(e.value) and "named pattern" in str(e.value)
