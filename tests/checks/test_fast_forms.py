"""Cheaper SQL forms the compiler emits for speed mean exactly what they replace, on the real engines.

- the blank test `CASE WHEN <first code point not printable ASCII> THEN TRIM(v) = '' ELSE FALSE END`
  equals `TRIM(v) = ''` (DuckDB trims all Unicode space separators, PostgreSQL only ' ');
- a named pattern's PostgreSQL form equals its regex on the pattern corpus and on generated values.
"""

from __future__ import annotations

import random

import pytest
import sqlalchemy as sa
from sqlglot import exp

from checks.metrics import IsMissing
from checks.patterns import PATTERNS
from checks.sqlexpr import SqlContext, missing

from .test_patterns import CORPUS

# every character DuckDB's TRIM removes (Unicode Zs), characters that look blank but are not trimmed,
# and ordinary ones; values are built from them
ZS = [" ", "\u00a0", "\u1680", *(chr(c) for c in range(0x2000, 0x200B)), "\u202f", "\u205f", "\u3000"]
NOT_TRIMMED = ["\t", "\n", "\r", "\x0b", "\x0c", "\x85", "\u200b", "\ufeff", "\x01"]
ORDINARY = ["a", "Z", "0", "!", "~", "é", "٣", "+", "-", "."]


def _blank_values() -> list[str]:
    rng = random.Random(5)
    values = ["", *ZS, *NOT_TRIMMED, *ORDINARY]
    values += [a + b for a in ZS + NOT_TRIMMED[:3] + ORDINARY[:3] for b in ZS[:3] + NOT_TRIMMED[:3] + ORDINARY[:3]]
    alphabet = ZS + NOT_TRIMMED + ORDINARY
    values += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 5))) for _ in range(500)]
    return sorted(set(values))


def _pattern_values(name: str) -> list[str]:
    """The corpus plus values near the pattern: digits, '+', '-', blanks, letters, non-ASCII digits and
    a newline, at lengths around the pattern's bounds."""
    rng = random.Random(name)
    good, bad = CORPUS[name]
    alphabet = list("0123456789") * 4 + ["+", "-", " ", "a", "A", "٣", "é", "\n", "."]
    values = set(good) | set(bad)
    for _ in range(3000):
        values.add("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 18))))
    for n in range(0, 18):  # valid-looking values of every length, with and without a leading '+'
        digits = "".join(rng.choice("0123456789") for _ in range(n))
        values.update({digits, "+" + digits, "+1" + digits, "+0" + digits})
    return sorted(values)


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> tuple[str, sa.Engine]:
    return request.param, request.getfixturevalue("duck" if request.param == "duckdb" else "pg")


VALUES = "(SELECT UNNEST(CAST(:vals AS VARCHAR[])) AS v) AS t"  # one bound array as a column v


def _agree(engine: sa.Engine, dialect: str, values: list[str], fast: exp.Expr, slow: exp.Expr) -> list[str]:
    """Values (from one bound array) on which the two predicates over column v differ."""
    q = f"SELECT v FROM {VALUES} WHERE ({fast.sql(dialect)}) IS DISTINCT FROM ({slow.sql(dialect)})"
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(sa.text(q), {"vals": values})]


def test_blank_guard_equals_trim(engine: tuple[str, sa.Engine]) -> None:
    dialect, eng = engine
    ctx = SqlContext(dialect, {"v": "VARCHAR"})
    fast = missing(ctx, IsMissing("v"))
    assert "CASE" in fast.sql(dialect)  # the guarded form is what the compiler emits here
    slow = exp.or_(
        exp.Is(this=exp.column("v"), expression=exp.Null()),
        exp.EQ(this=exp.Trim(this=exp.column("v")), expression=exp.Literal.string("")),
    )
    values = _blank_values()
    assert _agree(eng, dialect, values, fast, slow) == []
    with eng.connect() as conn:  # the corpus reaches both outcomes, and NULL is missing
        q = f"SELECT COUNT(*) FROM {VALUES} WHERE {fast.sql(dialect)}"
        assert 0 < conn.execute(sa.text(q), {"vals": values}).scalar() < len(values)
        null = f"SELECT {fast.sql(dialect)} FROM (SELECT CAST(NULL AS VARCHAR) AS v) AS t"
        assert conn.execute(sa.text(null)).scalar() is True


PG_FORMS = sorted(n for n, p in PATTERNS.items() if p.postgres is not None)


def test_the_costly_postgres_regexes_have_a_form() -> None:
    assert {"phone_e164", "zip5", "cis_contract_account", "cis_partner_id", "cis_premise_id"} <= set(PG_FORMS)


@pytest.mark.postgres
@pytest.mark.parametrize("name", PG_FORMS)
def test_postgres_form_equals_the_regex(name: str, pg: sa.Engine) -> None:
    p = PATTERNS[name]
    form = p.postgres(exp.column("v"))  # type: ignore[misc]
    regex = exp.RegexpLike(this=exp.column("v"), expression=exp.Literal.string(p.regex))
    values = _pattern_values(name)
    assert _agree(pg, "postgres", values, form, regex) == []
    with pg.connect() as conn:  # and the values reach both outcomes
        q = f"SELECT COUNT(*) FROM {VALUES} WHERE {form.sql('postgres')}"
        n = conn.execute(sa.text(q), {"vals": values}).scalar()
    assert 0 < n < len(values)
