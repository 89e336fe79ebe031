"""Feeds whose every rule reads one row only, cleansed as set-based DuckDB SQL with exactly `feeds.cleanse`'s
result (the shared machinery of `interval_sql` too).

A feed's rules run in Python, through the very functions the pandas path uses, on the DISTINCT raw values of
the columns each one reads, and come back as small mapping tables joined on those values; the row-comparing
steps `loaders.batch` does after `cleanse` (exact re-sends folded, conflicting re-sends quarantined) are
aggregates joined back to the rows. Staged rows never come back to Python; only failed ones do, for their detail text.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd
import sqlalchemy as sa

from loaders import bulk
from loaders.cleanse import addresses, contacts, dates, feeds, ids, names
from warehouse.engine import driver_connection
from warehouse.schema.staging import FEEDS

# feed -> the raw columns its feed-specific standardisers (`feeds.feed_specific`) read; each output is a
# function of those values in one row
PER_ROW: dict[str, tuple[str, ...]] = {
    "cis_account": (),
    "cis_tariff": (),
    "cis_service_point": ("meter_unit",),
    "cis_bill": ("consumption", "consumption_unit", "estimated_flag"),
    "cis_bill_line": ("quantity", "unit"),
    "mdm_register": ("register_value", "unit"),
    "workorders_order": (),
    "workorders_outage": (),
    "workorders_interruption": (),
    "gis_service_point": ("geometry_wkt",),
    "cis_premise": (),
    "gis_premise": (),
    "cis_customer": (),
    "crm_contact": (),
}
# Premise feeds' addresses (`feeds.PREMISES`) are standardised as `feeds.feed_specific` does but column by
# column, each on its own distinct values (`_address`): a premise's street is nearly unique, its unit, city,
# state and zip are not, so one mapping of every distinct (street, unit, city, state, zip) would be as large as
# the file. gis_premise's point is standardised on its own distinct values too. Contact feeds
# (`feeds.CONTACTS`) the same way: names, email, phone and each address column on their own (`_contact`).


class Mappings:
    """Per-distinct-value mapping tables registered on one DuckDB connection, with their JOIN clauses (onto
    `uf_src_rows s`) and the per-row issue flags as (SQL flag, reason_code, column) in `cleanse`'s order."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.names: list[str] = []  # registered mapping tables
        self.joins: list[str] = []
        self.flags: list[tuple[str, str, str]] = []
        self.prep: dict[str, str] = {}  # per-row values the rules share, computed once: name -> SQL over s
        self.swaps: dict[str, str] = {}  # date rule's raw column -> SQL: repaired by swapping day and month

    def source(self) -> str:
        """The staged rows with the shared per-row values, as a FROM item (alias it `s`)."""
        if not self.prep:
            return "uf_src_rows"
        return f"(SELECT s.*, {as_columns(self.prep)} FROM uf_src_rows s)"

    def distinct(self, *cols: str, where: str = "TRUE") -> pd.DataFrame:
        df = self.raw.execute(f"SELECT DISTINCT {', '.join(cols)} FROM uf_src_rows s WHERE {where}").df()
        return df.astype(object).where(df.notna(), None)

    def join(self, alias: str, frame: pd.DataFrame, on: dict[str, str]) -> None:
        """Register `frame` as `alias`, joined where each staged column equals (NULL too) its `on` column."""
        name = f"uf_map_{uuid.uuid4().hex[:10]}"
        self.raw.register(name, frame)
        self.names.append(name)
        cond = " AND ".join(f"s.{c} IS NOT DISTINCT FROM {alias}.{m}" for c, m in on.items())
        self.joins.append(f"LEFT JOIN {name} {alias} ON {cond}" if on else f"CROSS JOIN {name} {alias}")

    def rule(self, alias: str, rule: feeds.Rule, tz: str) -> str:
        """Join a rule's mapping table; returns the SQL of its standardised value. Ids and codes, mostly
        distinct, are computed in SQL where the value is ASCII (or NULL), from the Python rule elsewhere."""
        fast = _ascii_rule(rule)
        if fast is None:
            table, issues = feeds.rule_table(rule, self.distinct(rule.raw)[rule.raw], tz)
            self.join(alias, table, {rule.raw: "raw"})
            self.flags += [(f"{alias}.f{j}", code, col) for j, (code, col) in enumerate(issues)]
            if "swap" in table.columns:
                self.swaps[rule.raw] = f"COALESCE({alias}.swap, FALSE)"
            return f"{alias}.std"
        ascii_or_null = f"(s.{rule.raw} IS NULL OR strlen(s.{rule.raw}) = length(s.{rule.raw}))"
        table, issues = feeds.rule_table(rule, self.distinct(rule.raw, where=f"NOT {ascii_or_null}")[rule.raw], tz)
        std, flags, prep = fast
        self.prep.update(prep)
        if table.empty:  # every value is ASCII (or NULL): nothing to join
            self.flags += [(sql, code, rule.raw) for code, sql in flags]
            return std
        self.prep[f"_ascii_{rule.raw}"] = ascii_or_null
        in_sql = f"s._ascii_{rule.raw}"
        assert [code for code, _ in issues] == [code for code, _ in flags], (rule, issues)
        self.join(alias, table, {rule.raw: "raw"})
        self.flags += [(f"(CASE WHEN {in_sql} THEN {sql} ELSE CAST({alias}.f{j} AS BOOLEAN) END)", code, rule.raw)
                       for j, (code, sql) in enumerate(flags)]
        return f"(CASE WHEN {in_sql} THEN {std} ELSE CAST({alias}.std AS VARCHAR) END)"

    def close(self) -> None:
        for name in self.names:
            bulk.unregister(self.raw, name)

    def reason(self, reason_as: str = "reason_code", column_as: str = "column_name") -> str:
        """SQL of the first failing issue's reason_code and column, in the flags' order."""
        if not self.flags:
            return f"CAST(NULL AS VARCHAR) AS {reason_as}, CAST(NULL AS VARCHAR) AS {column_as}"
        reason = " ".join(f"WHEN {f} THEN '{code}'" for f, code, _ in self.flags)
        column = " ".join(f"WHEN {f} THEN '{col}'" for f, _, col in self.flags)
        return f"CASE {reason} END AS {reason_as}, CASE {column} END AS {column_as}"


# What Python's str.strip() and the `\s` of its `re` remove from ASCII text: the whitespace of str.isspace()
_WS = "(chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(28) || chr(29) || chr(30) || chr(31) || ' ')"


def _ascii_rule(rule: feeds.Rule) -> tuple[str, list[tuple[str, str]], dict[str, str]] | None:
    """(standardised value, [(reason_code, flag)] in the rule's order, shared per-row values) as SQL over an
    ASCII or NULL raw value, equal to `ids.pad_id` / `ids.clean_code` there; None for a Python-only rule."""
    v = f"s.{rule.raw}"
    # (the cheap tests first: a first character above ' ' is no whitespace, all-digit ids need no cleaning)
    prep = {f"_present_{rule.raw}":
            f"CASE WHEN ascii({v}) > 32 THEN TRUE ELSE COALESCE(trim({v}, {_WS}) <> '', FALSE) END"}
    present = f"s._present_{rule.raw}"
    if rule.kind.startswith("id:"):
        n = int(rule.kind[3:])
        # separators people type (whitespace, '-', '.', '/') dropped; then 1..n digits, left-padded with zeros
        prep[f"_digits_{rule.raw}"] = (f"CASE WHEN regexp_full_match({v}, '[0-9]+') THEN {v} "
                                       f"ELSE translate({v}, {_WS[:-1]} || '-./'), '') END")
        d = f"s._digits_{rule.raw}"
        std = f"CASE WHEN regexp_full_match({d}, '[0-9]{{1,{n}}}') THEN lpad({d}, {n}, '0') END"
        flags = [("invalid_id", f"({present} AND ({std}) IS NULL)")]
    elif rule.kind in ("code", "lower"):
        std = f"NULLIF({'upper' if rule.kind == 'code' else 'lower'}(trim({v}, {_WS})), '')"
        flags = []
    else:
        return None
    if rule.required:
        flags.append(("missing_key", f"(NOT {present})"))
    return std, flags, prep


@contextmanager
def mappings(raw: Any) -> Iterator[Mappings]:
    m = Mappings(raw)
    try:
        yield m
    finally:
        m.close()


def run(conn: sa.Connection, feed: str, batch_id: int, source: str,
        cleansed_sql: Any) -> tuple[int, pd.DataFrame, int]:
    """Stage `source` as `uf_src_rows`, build `uf_cleansed` from `cleansed_sql(mappings)` (every row's number,
    `carried` values, standardised columns, reason_code and column_name), fold and supersede, insert the clean
    rows with their raw text into `cln_<feed>`. Returns (rows loaded, failed rows with their raw columns, rows
    merged).

    The raw text is joined back from `uf_src_rows` only at the end: carried through the cleanse it was copied
    once more by every materialised step (the interval feed has four), ~0.1 s per copy of 290 k interval reads."""
    raw = driver_connection(conn)
    cols = FEEDS[feed].columns
    raw.execute(f"CREATE OR REPLACE TEMPORARY TABLE uf_src_rows AS {source}")
    with mappings(raw) as m:
        raw.execute(f"CREATE OR REPLACE TEMPORARY TABLE uf_cleansed AS {_fates(feed, cleansed_sql(m))}")
    std = feeds.std_columns(feed)
    out = ", ".join(["source_row_number", *cols, *std])
    select = ", ".join(["c.source_row_number", *(f"s.{c}" for c in cols), *(f"c.{c}" for c in std)])
    rows = "FROM uf_cleansed c JOIN uf_src_rows s ON s.source_row_number = c.source_row_number"
    loaded = raw.execute(f"INSERT INTO cln_{feed} (batch_id, {out}) SELECT ?, {select} {rows} "
                         "WHERE c.fate = 'clean' ORDER BY c.source_row_number", [batch_id]).fetchone()[0]
    merged = raw.execute("SELECT COUNT(*) FROM uf_cleansed WHERE fate = 'merged'").fetchone()[0]
    failed = raw.execute(f"SELECT c.source_row_number, {', '.join(f's.{c}' for c in cols)}, c.reason_code, "
                         f"c.column_name, c.fate {rows} WHERE c.fate IN ('quarantined', 'superseded') "
                         "ORDER BY c.source_row_number").df()
    raw.execute("DROP TABLE uf_cleansed")
    raw.execute("DROP TABLE uf_src_rows")
    return int(loaded), _failed(feed, failed), int(merged)


def carried(feed: str) -> dict[str, str]:
    """What `_fates` needs of a staged row's raw text, as name -> SQL over the row `s`: a hash of every raw
    column (to find exact re-sends) and the raw columns of the feed's supersede key."""
    raw = FEEDS[feed].columns
    keys = [k for k in feeds.SUPERSEDE_KEYS.get(feed, ()) if k in raw]
    return {"raw_hash": f"hash({', '.join(f's.{c}' for c in raw)})", **{k: f"s.{k}" for k in keys}}


def as_columns(exprs: dict[str, str]) -> str:
    """SQL select items `expr AS name` of name -> expr."""
    return ", ".join(f"{e} AS {name}" for name, e in exprs.items())


def _fates(feed: str, cleansed: str) -> str:
    """Each row's fate: quarantined (an issue), merged (an exact re-send of an earlier clean row), superseded
    (a later clean row with an earlier one's key and other values), else clean — as `staged._fold_duplicates`.

    Re-sends are rare, so they are found by grouping and joined back, not by numbering every row in a window
    (a window sorts the whole batch by all its columns). Grouping the whole batch by every raw column still
    builds a hash table holding every row's text: the rows' hash of their raw columns (`carried`) is grouped
    first, and only the rows whose hash repeats (the re-sends, and the odd collision) are grouped by their text,
    read from `uf_src_rows`. What the later steps find is a narrow list of row numbers joined back to the rows."""
    raw = FEEDS[feed].columns
    keys = feeds.SUPERSEDE_KEYS.get(feed)
    later = ""
    joined = ""
    fate = "CASE WHEN c.reason_code IS NOT NULL THEN 'quarantined' WHEN r.source_row_number IS NOT NULL THEN 'merged'"
    if keys:
        later = f""",
kept AS (  -- a supersede key repeated among the clean rows that are not re-sends: the first row stands
    SELECT {', '.join(keys)}, MIN(source_row_number) AS first_row FROM c
    WHERE reason_code IS NULL AND key_hash IN (SELECT key_hash FROM c WHERE reason_code IS NULL
                                               GROUP BY key_hash HAVING COUNT(*) > 1)
      AND source_row_number NOT IN (SELECT source_row_number FROM resent)
    GROUP BY {', '.join(keys)} HAVING COUNT(*) > 1
)"""
        joined = (f"LEFT JOIN kept k ON c.reason_code IS NULL AND r.source_row_number IS NULL AND "
                  f"{same('c', 'k', keys)}")
        fate += " WHEN k.first_row IS NOT NULL AND c.source_row_number <> k.first_row THEN 'superseded'"
    key_hash = f", hash({', '.join(keys)}) AS key_hash" if keys else ""
    return f"""
WITH c AS MATERIALIZED (SELECT x.*{key_hash} FROM ({cleansed}) x),
repeats AS MATERIALIZED (  -- clean rows whose raw hash repeats, with their raw text
    SELECT c.source_row_number, {', '.join(f's.{r}' for r in raw)}
    FROM c JOIN uf_src_rows s ON s.source_row_number = c.source_row_number
    WHERE c.reason_code IS NULL AND c.raw_hash IN (SELECT raw_hash FROM c WHERE reason_code IS NULL
                                                   GROUP BY raw_hash HAVING COUNT(*) > 1)
),
firsts AS (  -- raw values repeated among the clean rows: the first copy stays, later ones are re-sends
    SELECT {', '.join(raw)}, MIN(source_row_number) AS first_row FROM repeats
    GROUP BY {', '.join(raw)} HAVING COUNT(*) > 1
),
resent AS (
    SELECT p.source_row_number FROM repeats p JOIN firsts f ON {same('p', 'f', raw)}
    WHERE p.source_row_number <> f.first_row
){later}
SELECT c.*, {fate} ELSE 'clean' END AS fate
FROM c LEFT JOIN resent r ON r.source_row_number = c.source_row_number {joined}"""


def same(left: str, right: str, cols: tuple[str, ...]) -> str:
    """SQL: `left` and `right` agree on `cols`, NULL equal to NULL (as GROUP BY groups them)."""
    return " AND ".join(f"{left}.{c} IS NOT DISTINCT FROM {right}.{c}" for c in cols)


def _failed(feed: str, failed: pd.DataFrame) -> pd.DataFrame:
    """The failed rows as `feeds.cleanse` and `staged._fold_duplicates` describe them, raw columns kept."""
    failed = failed.astype(object).where(failed.notna(), None)
    failed["source_row_number"] = failed["source_row_number"].astype("int64")
    bad = failed[failed["fate"] == "quarantined"]
    later = failed[failed["fate"] == "superseded"]
    described = feeds.describe(bad, bad["reason_code"], bad["column_name"])
    q = pd.concat([described, feeds.superseded(feed, later["source_row_number"])], ignore_index=True)
    return q.merge(failed[["source_row_number", *FEEDS[feed].columns]], on="source_row_number", how="left")


def cleanse_in_sql(conn: sa.Connection, batch_id: int, source: str, tz: str,
                   feed: str) -> tuple[int, pd.DataFrame, int]:
    """A PER_ROW feed's staged rows (`source`) cleansed into `cln_<feed>`; see `run`."""
    inputs = PER_ROW[feed]

    def cleansed(m: Mappings) -> str:
        std: dict[str, str] = {}
        for i, rule in enumerate(feeds.SPECS[feed]):
            value = m.rule(f"r{i}", rule, tz)
            if not rule.std.endswith("_key"):
                std[rule.std] = value
        if inputs:
            std.update(_join_specific(m, "x", inputs, lambda df, out, issues: feeds.feed_specific(feed, df, out, tz,
                                                                                                    issues)))
        if feed in feeds.CONTACTS:
            std.update(_contact(m, feed, std))
        if feed in feeds.PREMISES:
            std.update(_address(m))
            if "geometry_wkt" in FEEDS[feed].columns:
                std.update(_join_specific(m, "g", ("geometry_wkt",), feeds.geometry))
        return (f"SELECT s.source_row_number, {as_columns(carried(feed))}, {as_columns(std)}, {m.reason()} "
                f"FROM {m.source()} s {' '.join(m.joins)}")

    return run(conn, feed, batch_id, source, cleansed)


Step = Callable[[pd.DataFrame, pd.DataFrame, list[feeds.Issue]], None]  # (values, out, issues): writes out


def _join_specific(m: Mappings, alias: str, inputs: tuple[str, ...], step: Step) -> dict[str, str]:
    """Join `step(df, out, issues)` (a feed-specific standardiser) applied to the distinct `inputs` tuples as
    `alias`, with one flag per issue it raises; returns the SQL of each column it writes. What it writes
    replaces a rule's value of the same name, as in `cleanse`."""
    values = m.distinct(*inputs).reset_index(drop=True)
    out = pd.DataFrame(index=values.index)
    issues: list[feeds.Issue] = []
    step(values, out, issues)
    flags, described = feeds.issue_flags(issues)
    m.join(alias, pd.concat([values, out.reset_index(drop=True), pd.DataFrame(flags)], axis=1), {c: c for c in inputs})
    m.flags += [(f"{alias}.f{j}", code, col) for j, (code, col) in enumerate(described)]
    return {c: f"{alias}.{c}" for c in out.columns}


def _address(m: Mappings, prefix: str = "", unit: str | None = "unit") -> dict[str, str]:
    """`feeds._address` of the address columns named `prefix` + street, city, state and zip, with a `unit`
    column (premises, CIS customers' mailing address) or none (CRM contacts); the SQL of each column."""
    streets = m.distinct(f"{prefix}street")[f"{prefix}street"]
    address, street_unit = addresses.streets(streets)
    m.join("st", pd.DataFrame({"raw": streets, "address_std": address, "unit_std": street_unit}),
           {f"{prefix}street": "raw"})
    unit_sql = "CAST(st.unit_std AS VARCHAR)"
    if unit:
        units = m.distinct(unit)[unit]
        m.join("un", pd.DataFrame({"raw": units, "unit_std": addresses.unit_std(units)}), {unit: "raw"})
        # a unit delivered in its own column wins over one written in the street line
        unit_sql = f"COALESCE(CAST(un.unit_std AS VARCHAR), {unit_sql})"
    places = m.distinct(f"{prefix}city", f"{prefix}state")
    city, state = addresses.city_state(places[f"{prefix}city"], places[f"{prefix}state"])
    m.join("cs", places.assign(city_std=city, state_std=state), {f"{prefix}city": f"{prefix}city",
                                                                 f"{prefix}state": f"{prefix}state"})
    zips = m.distinct(f"{prefix}zip")[f"{prefix}zip"]
    zip5, zip4 = addresses.zips(zips)
    m.join("zp", pd.DataFrame({"raw": zips, "zip5": zip5, "zip4": zip4}), {f"{prefix}zip": "raw"})
    return {f"{prefix}address_std": "st.address_std", "unit_std": unit_sql, "city_std": "cs.city_std",
            "state_std": "cs.state_std", "zip5": "zp.zip5", "zip4": "zp.zip4"}


def _by_value(m: Mappings, alias: str, col: str, outputs: Callable[[pd.Series], dict[str, Any]]) -> dict[str, str]:
    """`_join_specific` of a standardiser of one column that raises no issue: `outputs(values)` gives each
    column it writes (name -> values)."""
    def step(df: pd.DataFrame, out: pd.DataFrame, issues: list[feeds.Issue]) -> None:
        for name, values in outputs(df[col]).items():
            out[name] = values
    return _join_specific(m, alias, (col,), step)


def _contact(m: Mappings, feed: str, std: dict[str, str]) -> dict[str, str]:
    """`feeds._customerish`, `feeds._address` and (CIS) `feeds._move_in_swap` of a contact feed (see
    `feeds.CONTACTS`), each column mapped on its own distinct values; the SQL of each column. `std` holds the
    rules' columns (the move-in date and the date repairs read them)."""
    out: dict[str, str] = {}
    if feed == "cis_customer":
        out.update(_by_value(m, "nm", "full_name", lambda v: names.cis_names(v).to_dict("series")))
    else:
        out.update(_by_value(m, "fn", "first_name", lambda v: {"first_name_std": names.name_part(v)}))
        out.update(_by_value(m, "ln", "last_name", lambda v: {"last_name_std": names.name_part(v)}))
        out.update(second_person_std="CAST(NULL AS VARCHAR)", organisation_std="CAST(NULL AS VARCHAR)",
                   name_kind=f"CASE WHEN {out['last_name_std']} IS NOT NULL THEN 'person' ELSE 'placeholder' END")
        out.update(_by_value(m, "ac", "account_text", lambda v: {"account_number_std": ids.account_from_text(v)}))
    email, phone = ("email_std", "email_status"), ("phone_e164", "phone_status")
    out.update(_by_value(m, "em", "email", lambda v: dict(zip(email, contacts.emails(v), strict=True))))
    out.update(_by_value(m, "ph", "phone", lambda v: dict(zip(phone, contacts.phones(v), strict=True))))
    if feed != "cis_customer":
        out.update(_address(m, unit=None))
        return out
    out.update(_address(m, "mail_", "mail_unit"))
    # a move-in date delivered day-month swapped takes created_on (only rows whose two dates differ can be one)
    pairs = m.distinct("move_in_date", "created_on", where="move_in_date <> created_on").reset_index(drop=True)
    parsed = dates.parse_yyyymmdd(pairs["move_in_date"])[0]
    m.join("mv", pairs.assign(fix=feeds.move_in_swapped(pairs["move_in_date"], pairs["created_on"], parsed)
                              .to_numpy()), {"move_in_date": "move_in_date", "created_on": "created_on"})
    fix = "COALESCE(mv.fix, FALSE)"
    out["move_in_date_std"] = f"CASE WHEN {fix} THEN {std['created_on_std']} ELSE {std['move_in_date_std']} END"
    swaps = {**m.swaps, "move_in_date": f"({m.swaps['move_in_date']} OR {fix})"}
    # `feeds.cleanse`'s date_repairs: the swapped date columns in rule order, comma-separated
    repaired = ", ".join(f"CASE WHEN {swaps[r.raw]} THEN '{r.raw}' END" for r in feeds.SPECS[feed] if r.raw in swaps)
    out["date_repairs"] = f"NULLIF(concat_ws(',', {repaired}), '')"
    return out
