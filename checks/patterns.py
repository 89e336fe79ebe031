"""Named patterns: one regex for DuckDB/PostgreSQL and a T-SQL form with the same meaning.

Some patterns also carry a PostgreSQL form: PostgreSQL's regex engine is slow on bounded repetition
(`^[0-9]{12}$` costs ~3x `OCTET_LENGTH(v) = 12 AND v !~ '[^0-9]'` on 2M rows), so where an exactly
equivalent cheaper predicate exists it is used there; a test proves it equal to the regex on the corpus
and on generated values. DuckDB's RE2 is faster than any rewrite measured, so DuckDB keeps the regex.

SQL Server and Synapse have no regular expressions. Each named pattern therefore carries a T-SQL
predicate built from LIKE character classes, LEN, SUBSTRING and CHARINDEX; a test proves both forms
agree on a corpus of valid and invalid values. T-SQL forms compare under a binary collation so that
character ranges mean code points and case matters, as in a regex. A raw regex is translated to T-SQL
only when it is a fixed-length sequence of literals and classes, or one class repeated; anything else is
refused with a message naming the pattern (rather than silently mistranslated).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlglot import exp

from checks.errors import CompileError

BIN_COLLATION = "Latin1_General_100_BIN2"
TsqlForm = Callable[["exp.Expr"], "exp.Expr"]


@dataclass(frozen=True)
class NamedPattern:
    name: str
    regex: str  # POSIX-compatible (no \d, no \.): the same text works in RE2, PostgreSQL and Python
    tsql: TsqlForm
    doc: str
    postgres: TsqlForm | None = None  # a cheaper predicate with exactly the regex's meaning


def _s(text: str) -> exp.Literal:
    return exp.Literal.string(text)


def _n(value: int) -> exp.Expr:
    return exp.Literal.number(value)


def _bin(e: exp.Expr) -> exp.Expr:
    return exp.Collate(this=e, expression=exp.Var(this=BIN_COLLATION))


def like(e: exp.Expr, pattern: str) -> exp.Expr:
    return exp.Like(this=_bin(e), expression=_s(pattern))


def not_like(e: exp.Expr, pattern: str) -> exp.Expr:
    return exp.not_(like(e, pattern))


def _len(e: exp.Expr) -> exp.Expr:
    return exp.Length(this=e)


def _and(*parts: exp.Expr) -> exp.Expr:
    return exp.and_(*parts)


def _no_trailing_space(c: exp.Expr) -> exp.Expr:
    # T-SQL ignores trailing blanks of the matched value in LIKE and in LEN, so '12345 ' would pass
    # '[0-9][0-9][0-9][0-9][0-9]'; a trailing blank in the *pattern* is significant, which catches it.
    return not_like(c, "% ")


def _digits(n: int) -> TsqlForm:
    return lambda c: _and(_no_trailing_space(c), exp.EQ(this=_len(c), expression=_n(n)), not_like(c, "%[^0-9]%"))


def _between(e: exp.Expr, lo: str, hi: str) -> exp.Expr:
    return exp.Between(this=_bin(e), low=_s(lo), high=_s(hi))


def _substr(c: exp.Expr, start: int | exp.Expr, length: int | exp.Expr) -> exp.Expr:
    s = _n(start) if isinstance(start, int) else start
    n = _n(length) if isinstance(length, int) else length
    return exp.Substring(this=c, start=s, length=n)


def _date_parts(c: exp.Expr, month_at: int, day_at: int) -> list[exp.Expr]:
    return [
        _between(_substr(c, month_at, 2), "01", "12"),
        _between(_substr(c, day_at, 2), "01", "31"),
    ]


def _iso_date(c: exp.Expr) -> exp.Expr:
    return _and(_no_trailing_space(c), like(c, "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"), *_date_parts(c, 6, 9))


def _yyyymmdd(c: exp.Expr) -> exp.Expr:
    return _and(_no_trailing_space(c), like(c, "[0-9]" * 8), *_date_parts(c, 5, 7))


def _zip9(c: exp.Expr) -> exp.Expr:
    return _and(_no_trailing_space(c), like(c, "[0-9]" * 5 + "-" + "[0-9]" * 4))


def _zip(c: exp.Expr) -> exp.Expr:
    return exp.or_(exp.paren(_digits(5)(c)), exp.paren(_zip9(c)))


def _phone_e164(c: exp.Expr) -> exp.Expr:
    return _and(
        _no_trailing_space(c),
        like(c, "+[1-9]%"),
        exp.Between(this=_len(c), low=_n(3), high=_n(16)),
        not_like(_substr(c, 2, 100), "%[^0-9]%"),
    )


def _email(c: exp.Expr) -> exp.Expr:
    # CHARINDEX over value + '@' (and reversed domain + '.') is never 0, so LEFT/RIGHT never see a
    # negative length (T-SQL does not promise to short-circuit AND).
    at = exp.StrPosition(this=exp.Add(this=c, expression=_s("@")), substr=_s("@"))
    local = exp.Left(this=c, expression=exp.Sub(this=at, expression=_n(1)))
    domain = _substr(c, exp.Add(this=at, expression=_n(1)), 320)
    rdomain = exp.Reverse(this=domain)
    rdot = exp.StrPosition(this=exp.Add(this=rdomain, expression=_s(".")), substr=_s("."))
    last_label_reversed = exp.Left(this=rdomain, expression=exp.Sub(this=rdot, expression=_n(1)))
    return _and(
        _no_trailing_space(c),
        like(c, "_%@%"),
        not_like(c, "%@%@%"),  # exactly one '@', with a non-empty local part
        not_like(c, "% @%"),  # LIKE would not see a blank that ends the local part
        not_like(local, "%[^A-Za-z0-9._%+-]%"),
        not_like(domain, "%[^A-Za-z0-9.-]%"),
        like(domain, "%.%"),
        not_like(domain, ".%"),
        not_like(domain, "%."),
        not_like(domain, "%..%"),  # no empty labels
        like(last_label_reversed, "[A-Za-z][A-Za-z]%"),
        not_like(last_label_reversed, "%[^A-Za-z]%"),
    )


def _amount2(c: exp.Expr) -> exp.Expr:
    # digits, one '.', an optional leading '-': the only '.' sits before the last two digits, the only '-'
    # is first, and a digit follows it, so every other character is a digit
    return _and(
        _no_trailing_space(c),
        not_like(c, "%[^0-9.-]%"),
        exp.or_(like(c, "[0-9]%"), like(c, "-[0-9]%")),
        not_like(c, "_%-%"),
        not_like(c, "%.%.%"),
        like(c, "%[0-9].[0-9][0-9]"),
    )


def _upper2(c: exp.Expr) -> exp.Expr:
    return _and(_no_trailing_space(c), like(c, "[A-Z][A-Z]"))


# --- PostgreSQL forms -------------------------------------------------------------------------------
# A value whose characters all lie in [0-9] (or another ASCII class) has as many bytes as characters, so
# OCTET_LENGTH (constant time, unlike LENGTH on UTF-8) bounds the repetition the regex counted; the
# unbounded class test that remains is cheap. Cheap tests come first: PostgreSQL evaluates AND left to
# right and stops at the first false.


def _octets(c: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this="OCTET_LENGTH", expressions=[c])


def _pg_digits(n: int) -> TsqlForm:
    def form(c: exp.Expr) -> exp.Expr:
        only_digits = exp.not_(exp.RegexpLike(this=c.copy(), expression=_s("[^0-9]")))
        return _and(exp.EQ(this=_octets(c), expression=_n(n)), only_digits)

    return form


def _pg_phone_e164(c: exp.Expr) -> exp.Expr:
    # ^[+][1-9][0-9]+$ is ASCII only, so 3..16 bytes is 3..16 characters: '+', a digit 1-9, 1..14 digits
    return _and(
        exp.Between(this=_octets(c), low=_n(3), high=_n(16)),
        exp.RegexpLike(this=c.copy(), expression=_s("^[+][1-9][0-9]+$")),
    )


def _digits_re(n: int) -> str:
    return f"^[0-9]{{{n}}}$"


_MONTH = "(0[1-9]|1[0-2])"
_DAY = "(0[1-9]|[12][0-9]|3[01])"

PATTERNS: dict[str, NamedPattern] = {
    p.name: p
    for p in (
        NamedPattern(
            "email",
            "^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+([.][A-Za-z0-9-]+)*[.][A-Za-z]{2,}$",
            _email,
            "local@domain.tld (syntax only, no DNS)",
        ),
        NamedPattern(
            "phone_e164", "^[+][1-9][0-9]{1,14}$", _phone_e164, "+ then 2-15 digits, no leading 0", _pg_phone_e164
        ),
        NamedPattern("zip5", _digits_re(5), _digits(5), "5-digit US ZIP", _pg_digits(5)),
        NamedPattern("zip9", "^[0-9]{5}-[0-9]{4}$", _zip9, "ZIP+4 with dash"),
        NamedPattern("zip", "^[0-9]{5}(-[0-9]{4})?$", _zip, "ZIP or ZIP+4"),
        NamedPattern("us_state", "^[A-Z]{2}$", _upper2, "two upper-case letters"),
        NamedPattern("iso_date", f"^[0-9]{{4}}-{_MONTH}-{_DAY}$", _iso_date, "YYYY-MM-DD, month/day in range"),
        NamedPattern("yyyymmdd", f"^[0-9]{{4}}{_MONTH}{_DAY}$", _yyyymmdd, "CIS dates YYYYMMDD"),
        NamedPattern("cis_partner_id", _digits_re(10), _digits(10), "CIS business partner, 10 digits", _pg_digits(10)),
        NamedPattern(
            "cis_contract_account", _digits_re(12), _digits(12), "CIS contract account, 12 digits", _pg_digits(12)
        ),
        NamedPattern("cis_premise_id", _digits_re(10), _digits(10), "CIS premise, 10 digits", _pg_digits(10)),
        NamedPattern("amount2", "^-?[0-9]+[.][0-9]{2}$", _amount2, "an amount with exactly two decimals"),
        NamedPattern(
            "digits",
            "^[0-9]+$",
            lambda c: _and(_no_trailing_space(c), like(c, "_%"), not_like(c, "%[^0-9]%")),
            "one or more digits",
        ),
    )
}


def tsql_match(column: exp.Expr, pattern: str, *, named: bool) -> exp.Expr:
    """A T-SQL predicate true where `column` matches; CompileError when that cannot be exact."""
    if named:
        return PATTERNS[pattern].tsql(column)
    return _translate_regex(column, pattern)


# --- raw regex -> T-SQL (a deliberately small, exact subset) ---------------------------------------


def _refuse(pattern: str, why: str) -> CompileError:
    return CompileError(
        f"regex '{pattern}' cannot be expressed in T-SQL (SQL Server/Synapse have no regex): {why}. "
        f"Use a named pattern ({', '.join(PATTERNS)}) or a fixed-length pattern of literals and "
        "character classes, or one class repeated (e.g. ^[0-9]{10}$).",
        code="regex_not_portable",
    )


def _class_body(pattern: str, items: list[tuple[object, object]]) -> tuple[str, bool]:
    from re import _constants as c  # type: ignore[attr-defined]

    negate, out, dash = False, [], ""
    for op, arg in items:
        if op is c.NEGATE:
            negate = True
        elif op is c.RANGE:
            lo, hi = int(arg[0]), int(arg[1])  # type: ignore[index]
            out.append(f"{_class_char(pattern, chr(lo))}-{_class_char(pattern, chr(hi))}")
        elif op is c.LITERAL and chr(arg) == "-":  # type: ignore[arg-type]
            dash = "-"  # a literal '-' is only unambiguous last in a LIKE class
        elif op is c.LITERAL:
            out.append(_class_char(pattern, chr(arg)))  # type: ignore[arg-type]
        elif op is c.CATEGORY and arg is c.CATEGORY_DIGIT:
            out.append("0-9")
        else:
            raise _refuse(pattern, f"character class item {op} has no LIKE equivalent")
    return "".join(out) + dash, negate


def _class_char(pattern: str, ch: str) -> str:
    if ch in "]^[" or not ch.isprintable() or ord(ch) > 126:
        raise _refuse(pattern, f"character {ch!r} inside a class")
    return ch


def _atom(pattern: str, op: object, arg: object) -> str:
    from re import _constants as c  # type: ignore[attr-defined]

    if op is c.LITERAL:
        ch = chr(arg)  # type: ignore[arg-type]
        if not ch.isprintable() or ord(ch) > 126:
            raise _refuse(pattern, f"character {ch!r}")
        return {"%": "[%]", "_": "[_]", "[": "[[]"}.get(ch, ch)
    if op is c.IN:
        body, negate = _class_body(pattern, arg)  # type: ignore[arg-type]
        return f"[{'^' if negate else ''}{body}]"
    raise _refuse(pattern, f"{str(op).lower()} is not a literal or a character class")


def _translate_regex(column: exp.Expr, pattern: str) -> exp.Expr:
    from re import _constants as c  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]

    try:
        items = list(_parser.parse(pattern))
    except re.error as e:
        raise CompileError(f"invalid regex {pattern!r}: {e}", code="invalid_regex") from None
    anchored_start = bool(items) and items[0] == (c.AT, c.AT_BEGINNING)
    anchored_end = bool(items) and items[-1] == (c.AT, c.AT_END)
    body = items[int(anchored_start) : len(items) - int(anchored_end)]
    # One class repeated over the whole value: ^[0-9]+$, ^[A-Z]{2,5}$
    if anchored_start and anchored_end and len(body) == 1 and body[0][0] is c.MAX_REPEAT:
        lo, hi, sub = body[0][1]  # type: ignore[misc]
        if len(sub) == 1 and sub[0][0] is c.IN:
            inner, negate = _class_body(pattern, sub[0][1])
            outside = f"%[{'' if negate else '^'}{inner}]%"
            parts = [_no_trailing_space(column), not_like(column, outside)]
            if lo:
                parts.append(exp.GTE(this=_len(column), expression=_n(lo)))
            if hi != c.MAXREPEAT:
                parts.append(exp.LTE(this=_len(column), expression=_n(hi)))
            return _and(*parts)
    like_pattern = []
    for op, arg in body:
        if op is c.MAX_REPEAT:
            lo, hi, sub = arg  # type: ignore[misc]
            if lo != hi or len(sub) != 1:
                raise _refuse(pattern, "variable repetition inside a longer pattern")
            like_pattern.append(_atom(pattern, *sub[0]) * lo)
        else:
            like_pattern.append(_atom(pattern, op, arg))
    text = ("" if anchored_start else "%") + "".join(like_pattern) + ("" if anchored_end else "%")
    parts = [like(column, text)]
    if anchored_end:
        parts.insert(0, _no_trailing_space(column))
    return _and(*parts)
