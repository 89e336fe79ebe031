"""Cleanse one staged feed batch: typed `*_std` columns beside the raw text, or quarantine with a reason.

Every feed is described by a small spec (which raw column becomes which standardised column, how, and
whether the row is useless without it). A row fails only on what cannot be repaired: a missing or
malformed key, an impossible date, a number that is not a number, an unknown unit. Fake contacts are not
failures: they become NULL with a status (`email_status = placeholder`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from loaders.cleanse import (
    ASCII_SPACE,
    addresses,
    arrow_strings,
    contacts,
    dates,
    extracted,
    ids,
    names,
    none_for_null,
    units,
)
from warehouse.schema.cleansed import STD
from warehouse.schema.staging import FEEDS


@dataclass(frozen=True)
class Rule:
    raw: str
    kind: str  # id:N | code | date | ts | num | int
    std: str
    required: bool = False
    limit: int | None = None  # an `int` rule: the largest magnitude its cleansed column's type holds


def R(raw: str, kind: str, std: str | None = None, required: bool = False) -> Rule:  # noqa: N802
    return Rule(raw, kind, std or f"{raw}_std", required)


SPECS: dict[str, tuple[Rule, ...]] = {
    "cis_customer": (R("partner_id", "id:10", required=True), R("birth_date", "date"), R("move_in_date", "date"),
                     R("created_on", "date"), R("changed_on", "date")),
    "cis_premise": (R("premise_id", "id:10", required=True), R("created_on", "date")),
    "cis_account": (R("contract_account", "id:12", required=True), R("partner_id", "id:10"),
                    R("premise_id", "id:10"), R("open_date", "date"), R("close_date", "date")),
    "cis_service_point": (R("service_point_id", "code", required=True), R("premise_id", "id:10"),
                          R("meter_serial", "code"), R("commodity", "lower", "commodity_std"),
                          R("meter_multiplier", "num", "multiplier_std"), R("meter_dials", "int", "dials_std"),
                          R("interval_minutes", "int"), R("install_date", "date"), R("remove_date", "date")),
    "cis_tariff": (R("tariff_code", "code", required=True), R("unit_rate", "num"), R("fixed_charge", "num"),
                   R("effective_date", "date")),
    "cis_bill": (R("bill_id", "code", required=True), R("contract_account", "id:12"), R("bill_date", "date"),
                 R("period_start", "date"), R("period_end", "date"), R("total_amount", "num")),
    "cis_bill_line": (R("bill_id", "code", required=True), R("line_no", "int", required=True),
                      R("amount", "num")),
    "mdm_interval": (R("service_point_id", "code", required=True), R("interval_minutes", "int"),
                     R("received_at", "ts", "received_at_utc")),
    "mdm_register": (R("service_point_id", "code", required=True), R("read_date", "date", required=True),
                     R("dials", "int"), R("multiplier", "num")),
    "mdm_espi": (R("service_point_id", "code", required=True), R("duration_seconds", "int")),
    "crm_contact": (R("contact_id", "code", "contact_id_key", required=True), R("created_at", "ts", "created_at_utc")),
    "crm_case": (R("case_id", "code", "case_id_key", required=True), R("opened_at", "ts", "opened_at_utc"),
                 R("closed_at", "ts", "closed_at_utc")),
    "crm_interaction": (R("interaction_id", "code", "interaction_id_key", required=True),
                        R("started_at", "ts", "started_at_utc"), R("duration_seconds", "int")),
    "payments_lockbox": (R("deposit_date", "date"),),
    "payments_card": (R("transaction_id", "code", "transaction_id_key", required=True),
                      R("amount", "num", required=True), R("paid_at", "ts", "paid_at_utc")),
    "workorders_order": (R("order_no", "code", "order_no_key", required=True), R("service_point_id", "code"),
                         R("premise_id", "id:10"), R("created_at", "ts", "created_at_utc"),
                         R("completed_at", "ts", "completed_at_utc")),
    "workorders_outage": (R("outage_id", "code", "outage_id_key", required=True),
                          R("started_at", "ts", "started_at_utc"),
                          R("restored_at", "ts", "restored_at_utc"), R("customers_affected", "int")),
    "workorders_interruption": (R("outage_id", "code", "outage_id_key", required=True),
                                R("service_point_id", "code", required=True), R("premise_id", "id:10"),
                                R("interrupted_at", "ts", "interrupted_at_utc"),
                                R("restored_at", "ts", "restored_at_utc")),
    "gis_premise": (R("gis_facility_id", "code", "gis_key", required=True), R("premise_id", "id:10")),
    "gis_service_point": (R("gis_facility_id", "code", "gis_key", required=True), R("service_point_id", "code"),
                          R("premise_id", "id:10")),
}

# The range of each integer type a cleansed `*_std` column may have (warehouse.schema.cleansed.STD).
_INT_LIMITS = {"smallint": 2**15 - 1, "int": 2**31 - 1, "bigint": 2**63 - 1}


def _std_types(feed: str) -> dict[str, str]:
    """The feed's standardised columns (in order) and their declared types (`name:type[:length]` words)."""
    return dict(w.split(":")[:2] for w in STD[feed].split())


def _with_limit(feed: str, rule: Rule) -> Rule:
    """An `int` rule with the range of its cleansed column's type: a value beyond it would abort the insert of
    the whole batch (one mistyped meter_dials in a 2 M-row snapshot), so it is an `invalid_number` instead."""
    if rule.kind != "int":
        return rule
    return replace(rule, limit=_INT_LIMITS[_std_types(feed)[rule.std]])


SPECS = {feed: tuple(_with_limit(feed, r) for r in rules) for feed, rules in SPECS.items()}

# Keys on which two different rows of one batch conflict (MDM re-sends): the first copy stands, later ones that
# disagree are quarantined as `conflicting_duplicate` (loaders.cleanse.staged._fold_duplicates).
SUPERSEDE_KEYS = {"mdm_interval": ("service_point_id_std", "channel", "interval_end_utc"),
                  "mdm_register": ("service_point_id_std", "meter_serial", "read_date_std"),
                  "mdm_espi": ("service_point_id_std", "interval_start_epoch")}


def superseded(feed: str, source_row_numbers: pd.Series) -> pd.DataFrame:
    """Quarantine rows for later re-sends that disagree with an earlier row on the feed's supersede key."""
    return pd.DataFrame({"source_row_number": source_row_numbers, "reason_code": "conflicting_duplicate",
                         "column_name": ",".join(SUPERSEDE_KEYS.get(feed, ())),
                         "detail": "an earlier row in the file has the same key and other values"})

Issue = tuple[pd.Series, str, str]  # (failing mask, reason_code, column)

# Feeds of premises: a service address in street, unit, city, state and zip columns (`_address`)
PREMISES = ("cis_premise", "gis_premise")
# Feeds of people (`_customerish`): names, email, phone and a postal address
CONTACTS = ("cis_customer", "crm_contact")


def _apply_rule(df: pd.DataFrame, out: pd.DataFrame, rule: Rule, tz: str, issues: list[Issue]) -> None:
    raw = df[rule.raw]
    present = raw.notna() & (raw.astype("string").str.strip() != "")
    kind = rule.kind
    if kind.startswith("id:"):
        val = ids.pad_id(raw, int(kind[3:]))
        bad = present & val.isna()
        issues.append((bad, "invalid_id", rule.raw))
    elif kind in ("code", "lower"):
        val = ids.clean_code(raw, upper=kind == "code")
        if kind == "lower":
            val = val.map(lambda v: v.lower(), na_action="ignore")
        bad = pd.Series(False, index=df.index)
    elif kind == "date":
        val, status = dates.parse_yyyymmdd(raw)
        bad = status == dates.INVALID
        issues.append((bad, "invalid_date", rule.raw))
        out[f"__swap_{rule.raw}"] = status == "swapped"
    elif kind == "ts":
        val, status = dates.parse_timestamp_utc(raw, tz)
        issues.append((status == dates.INVALID, "invalid_timestamp", rule.raw))
        bad = status == dates.INVALID
    elif kind in ("num", "int"):
        num = pd.to_numeric(raw.astype("string").str.strip().str.replace(",", "", regex=False), errors="coerce")
        num = num.where(_fits(num))  # inf or beyond the decimal column: a bad number, not a failed batch
        if kind == "int":
            num = num.where(num.isna() | ((num == num.round()) & (num.abs() <= (rule.limit or _INT_LIMITS["int"]))))
            val = num.astype("Int64").astype(object).where(num.notna(), None)
        else:
            val = num.astype(object).where(num.notna(), None)
        bad = present & num.isna()
        issues.append((bad, "invalid_number", rule.raw))
    else:
        raise ValueError(kind)
    if rule.required:
        issues.append((~present | (val.isna() & ~bad), "missing_key", rule.raw))
    if not rule.std.endswith("_key"):
        out[rule.std] = val
    else:
        out[f"__{rule.std}"] = val


def _customerish(df: pd.DataFrame, out: pd.DataFrame, feed: str) -> None:
    if feed == "cis_customer":
        out[["first_name_std", "last_name_std", "second_person_std", "organisation_std", "name_kind"]] = \
            names.cis_names(df["full_name"])
    else:
        out["first_name_std"] = names.name_part(df["first_name"])
        out["last_name_std"] = names.name_part(df["last_name"])
        out["second_person_std"] = None
        out["organisation_std"] = None
        out["name_kind"] = np.where(out["last_name_std"].notna(), "person", "placeholder")
    out["email_std"], out["email_status"] = contacts.emails(df["email"])
    out["phone_e164"], out["phone_status"] = contacts.phones(df["phone"])


def _address(df: pd.DataFrame, out: pd.DataFrame, prefix: str, std_prefix: str, unit_col: str | None) -> None:
    street, unit = addresses.streets(df[f"{prefix}street"])
    out[f"{std_prefix}address_std"] = street
    if unit_col:
        given = addresses.unit_std(df[unit_col])
        unit = given.where(given.notna(), unit)
    out["unit_std"] = unit
    out["city_std"], out["state_std"] = addresses.city_state(df[f"{prefix}city"], df[f"{prefix}state"])
    out["zip5"], out["zip4"] = addresses.zips(df[f"{prefix}zip"])


_POINT = r"(?i)^\s*POINT\s*\(\s*(-?\d+(?:\.\d+)?)\s+(-?\d+(?:\.\d+)?)\s*\)\s*$"
# The same pattern for ASCII text in Arrow's RE2, whose `\s` and `\d` differ from Python's: Python's `\s`
# also matches \v and \x1c-\x1f, and both are Unicode-wide in Python (non-ASCII values keep Python's regex).
_POINT_ASCII = _POINT.replace(r"\s", ASCII_SPACE).replace(r"\d", "[0-9]")


def point_xy(wkt: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(x, y) of a WKT `POINT (x y)`, NaN where the value is not one."""
    text = wkt.astype("string")
    arrow = arrow_strings(text)
    ascii_ = pc.fill_null(pc.string_is_ascii(arrow), False).to_numpy(zero_copy_only=False)
    parts = pc.extract_regex(arrow, _POINT_ASCII.replace("(-?", "(?P<x>-?", 1).replace("(-?", "(?P<y>-?", 1))
    x, y = (pd.Series(extracted(parts, g).to_numpy(zero_copy_only=False), index=wkt.index, dtype=object)
            for g in ("x", "y"))
    other = ~ascii_ & text.notna().to_numpy()
    if other.any():  # rare: Python's own regex, as before
        m = text[other].str.extract(_POINT)
        x[other], y[other] = m[0].astype(object).to_numpy(), m[1].astype(object).to_numpy()
    # a match of non-ASCII digits (Python's `\d`) is not a number either: coerce, so the row is quarantined
    return pd.to_numeric(x, errors="coerce"), pd.to_numeric(y, errors="coerce")


def geometry(df: pd.DataFrame, out: pd.DataFrame, issues: list[Issue]) -> None:
    """Longitude, latitude and coord_status from `geometry_wkt`: a point with latitude and longitude swapped is
    swapped back, `POINT (0 0)` becomes NULL, and a value that is no WKT point is `invalid_geometry`."""
    x, y = point_xy(df["geometry_wkt"])
    present = df["geometry_wkt"].notna() & (df["geometry_wkt"].astype("string").str.strip() != "")
    issues.append((present & x.isna(), "invalid_geometry", "geometry_wkt"))
    zero = (x == 0) & (y == 0)
    # WKT is (lon lat). Within the US (lat 15..75, lon -180..-60) a point whose x looks like a latitude and
    # whose y looks like a longitude can only be swapped.
    swapped = x.between(15, 75) & y.between(-180, -60)
    out["longitude"] = np.where(swapped, y, x)
    out["latitude"] = np.where(swapped, x, y)
    out.loc[zero | x.isna(), ["longitude", "latitude"]] = np.nan
    out["coord_status"] = np.select([~present, x.isna(), zero, swapped], ["missing", "invalid", "zero", "swapped"],
                                    "ok")
    out["longitude"] = out["longitude"].astype(object).where(out["longitude"].notna(), None)
    out["latitude"] = out["latitude"].astype(object).where(out["latitude"].notna(), None)


def cleanse(feed: str, df: pd.DataFrame, tz: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(cleansed rows, quarantined rows) for one feed's staged rows (source_row_number + raw columns).

    Quarantine columns: source_row_number, reason_code, column_name, detail (first failing rule wins).
    """
    out = df.copy()
    issues: list[Issue] = []
    for rule in SPECS[feed]:
        _apply_rule(df, out, rule, tz, issues)
    feed_specific(feed, df, out, tz, issues)
    reason = pd.Series(None, index=df.index, dtype=object)
    column = pd.Series(None, index=df.index, dtype=object)
    for mask, code, col in issues:
        take = mask.fillna(False).astype(bool) & reason.isna()
        reason[take] = code
        column[take] = col
    bad = reason.notna()
    quarantine = describe(df[bad], reason[bad], column[bad])
    swaps = [c for c in out.columns if c.startswith("__swap_")]
    if "date_repairs" in std_columns(feed):
        repairs = pd.Series("", index=out.index, dtype=object)
        for c in swaps:
            repairs = repairs + np.where(out[c].fillna(False).astype(bool), c[7:] + ",", "")
        out["date_repairs"] = none_for_null(repairs.str.rstrip(",").where(repairs != ""))
    keep = ["source_row_number", *FEEDS[feed].columns, *std_columns(feed)]
    return out.loc[~bad, keep], quarantine


def describe(rows: pd.DataFrame, reason: pd.Series, column: pd.Series) -> pd.DataFrame:
    """Quarantine rows (source_row_number, reason_code, column_name, detail) for failing `rows` (staged text),
    the detail naming the failing column and its raw value: `column = 'raw value'`."""
    detail = pd.Series(None, index=rows.index, dtype=object)
    for col in column.unique():  # vectorised per failing column
        hit = column == col
        if col in rows.columns:
            values = rows.loc[hit[hit].index, col].astype("string").fillna("<null>").str.slice(0, 200)
            detail[hit] = (col + " = '" + values + "'").to_numpy()
        else:
            detail[hit] = col
    return pd.DataFrame({"source_row_number": rows["source_row_number"], "reason_code": reason,
                         "column_name": column, "detail": detail})


def rule_table(rule: Rule, values: pd.Series, tz: str) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """One rule applied to distinct raw values: (frame of `raw`, `std`, one flag `f<i>` per issue the rule
    raises and, for a date, `swap` (repaired by swapping day and month), [(reason_code, column) per flag in the
    order `cleanse` checks them]). Every rule is a function of
    its one raw value, so joining this table back on the raw value gives each row what `cleanse` gives it."""
    df = pd.DataFrame({rule.raw: values.astype(object)})
    out = pd.DataFrame(index=df.index)
    issues: list[Issue] = []
    _apply_rule(df, out, rule, tz, issues)
    std = out[f"__{rule.std}" if rule.std.endswith("_key") else rule.std]
    flags, described = issue_flags(issues)
    swap = {"swap": out[f"__swap_{rule.raw}"].to_numpy(dtype=bool)} if rule.kind == "date" else {}
    return pd.DataFrame({"raw": df[rule.raw], "std": std, **flags, **swap}), described


def issue_flags(issues: list[Issue]) -> tuple[dict[str, np.ndarray], list[tuple[str, str]]]:
    """Issues as boolean columns `f0`, `f1`, ... (NA -> False) and their (reason_code, column), in order."""
    flags = {f"f{i}": mask.fillna(False).astype(bool).to_numpy() for i, (mask, _, _) in enumerate(issues)}
    return flags, [(code, col) for _, code, col in issues]


def reading(df: pd.DataFrame, out: pd.DataFrame, col: str, std: str, issues: list[Issue]) -> None:
    """A metered value and its unit in the canonical unit (`std`, `unit_std`); a value that is not a number
    (or does not fit the warehouse's decimal) is `invalid_number`, a number in an unknown unit `unknown_unit`."""
    out[std], out["unit_std"] = units.to_canonical(df[col], df["unit"])
    num = pd.to_numeric(df[col], errors="coerce")
    canonical = pd.to_numeric(out[std], errors="coerce")
    num = num.where(_fits(num) & (canonical.isna() | _fits(canonical)))
    out[std] = out[std].where(num.notna(), None)
    issues.append((num.isna(), "invalid_number", col))
    issues.append((num.notna() & out["unit_std"].isna(), "unknown_unit", "unit"))


def std_columns(feed: str) -> list[str]:
    return list(_std_types(feed))


def feed_specific(feed: str, df: pd.DataFrame, out: pd.DataFrame, tz: str, issues: list[Issue]) -> None:
    if feed == "cis_customer":
        _customerish(df, out, feed)
        _address(df, out, "mail_", "mail_", "mail_unit")
        _move_in_swap(df, out)
    elif feed == "crm_contact":
        _customerish(df, out, feed)
        _address(df, out, "", "", None)
        out["account_number_std"] = ids.account_from_text(df["account_text"])
    elif feed in ("crm_case", "crm_interaction"):
        out["account_number_std"] = ids.account_from_text(df["account_text"])
    elif feed in PREMISES:
        _address(df, out, "", "", "unit")
    if feed.startswith("gis_"):
        geometry(df, out, issues)
    if feed == "cis_service_point":
        out["unit_std"] = df["meter_unit"].astype("string").str.upper().map(
            {k: v[0] for k, v in units.CANONICAL.items()}).astype(object)
    if feed == "cis_bill":
        out["consumption_std"], out["unit_std"] = units.to_canonical(df["consumption"], df["consumption_unit"])
        out["is_estimated"] = df["estimated_flag"].astype("string").str.upper().isin(["Y", "1", "TRUE", "E"])
    if feed == "cis_bill_line":
        out["quantity_std"], out["unit_std"] = units.to_canonical(df["quantity"], df["unit"])
    if feed in ("mdm_interval", "mdm_register"):
        col = "value" if feed == "mdm_interval" else "register_value"
        reading(df, out, col, "value_std" if feed == "mdm_interval" else "register_value_std", issues)
    if feed == "mdm_interval":
        keys = pd.DataFrame({"sp": out["service_point_id_std"], "ch": df["channel"]})
        if "utc_offset" in df.columns:  # an explicit offset (-05:00) settles the fall-back hour exactly
            utc, ok = dates.with_offset(df["interval_end_local"], df["utc_offset"])
            status = pd.Series("", index=df.index, dtype=object)
        else:
            ok = pd.Series(False, index=df.index)
        if not ok.all():  # no usable offset: resolve the repeated hour by order of appearance
            rest = ~ok
            local_utc, local_status = dates.local_interval_to_utc(keys[rest], df.loc[rest, "interval_end_local"], tz)
            utc = local_utc if ok.sum() == 0 else utc.where(ok, local_utc.reindex(df.index))
            status = local_status.reindex(df.index).fillna("") if ok.sum() == 0 else \
                status.where(ok, local_status.reindex(df.index))
        out["interval_end_utc"] = utc.astype(object).where(utc.notna(), None)
        issues.append((status == dates.INVALID, "invalid_timestamp", "interval_end_local"))
        issues.append((status == "nonexistent", "nonexistent_local_time", "interval_end_local"))
        out["is_estimated"] = df["quality_code"].astype("string").isin(ESTIMATED_QUALITY)
        _interval_repairs(df, out)
    if feed == "mdm_espi":
        start = pd.to_numeric(df["interval_start_epoch"], errors="coerce")
        dur = pd.to_numeric(df["duration_seconds"], errors="coerce")
        end = pd.to_datetime(start + dur, unit="s", errors="coerce")
        out["interval_end_utc"] = end.astype(object).where(end.notna(), None)
        issues.append((end.isna(), "invalid_timestamp", "interval_start_epoch"))
        raw_unit = df["uom"].astype("string").map(units.ESPI_UOM)
        power = pd.to_numeric(df["power_of_ten_multiplier"], errors="coerce").fillna(0)
        value = pd.to_numeric(df["value"], errors="coerce") * np.power(10.0, power)
        out["value_std"], out["unit_std"] = units.to_canonical(value, raw_unit)
        canonical = pd.to_numeric(out["value_std"], errors="coerce")
        value = value.where(_fits(value) & (canonical.isna() | _fits(canonical)))
        out["value_std"] = out["value_std"].where(value.notna(), None)
        issues.append((value.isna(), "invalid_number", "value"))
        issues.append((value.notna() & out["unit_std"].isna(), "unknown_unit", "uom"))
    if feed == "payments_lockbox":
        is_detail = df["record_type"] == "6"
        out["account_number_std"] = ids.pad_id(df["account_number"], 12).where(is_detail, None)
        cents = pd.to_numeric(df["amount_cents"], errors="coerce")
        out["amount_std"] = (cents / 100).astype(object).where(cents.notna() & is_detail, None)
        issues.append((is_detail & cents.isna(), "invalid_number", "amount_cents"))
    if feed == "payments_card":
        out["account_number_std"] = ids.pad_id(df["account_number"], 12)
        # the processor sends dollars with two decimals; a bare integer is an amount sent in cents
        bare = df["amount"].astype("string").str.strip().str.fullmatch(r"-?\d+").fillna(False)
        amount = pd.to_numeric(out["amount_std"], errors="coerce")
        out["amount_std"] = none_for_null(amount.where(~bare, amount / 100))


# decimal(18, 4) holds 14 integer digits: a larger (or infinite) reading would abort the whole batch's insert
_DECIMAL_LIMIT = 1e14


def _fits(num: pd.Series) -> pd.Series:
    """True where a parsed number is finite and fits the warehouse's decimal columns (NaN -> False)."""
    values = num.astype(float)
    return pd.Series(np.isfinite(values) & (values.abs() < _DECIMAL_LIMIT), index=num.index)


def move_in_swapped(move_in: pd.Series, created_on: pd.Series, move_in_std: pd.Series) -> pd.Series:
    """Where a move-in date was delivered with day and month swapped. One whose day and month are both <= 12 is
    ambiguous on its own; CIS creates the business partner on the move-in day, so when swapping day and month
    makes it equal `created_on`, it was swapped."""
    raw = move_in.astype("string").str.strip()
    swapped = raw.str[:4] + raw.str[6:8] + raw.str[4:6]
    created = created_on.astype("string").str.strip()
    return ((raw != created) & (swapped == created) & raw.str.fullmatch(r"\d{8}") & move_in_std.notna()) \
        .fillna(False).astype(bool)


def _move_in_swap(df: pd.DataFrame, out: pd.DataFrame) -> None:
    """`move_in_swapped` rows take `created_on` as their move-in date, noted as a swap repair."""
    fix = move_in_swapped(df["move_in_date"], df["created_on"], out["move_in_date_std"])
    if fix.any():
        out.loc[fix, "move_in_date_std"] = out.loc[fix, "created_on_std"]
        out.loc[fix, "__swap_move_in_date"] = True


# A 15-minute residential read above this many kWh (a 200 kW average) is not plausible: the meter-day
# was delivered in Wh while labelled kWh.
WH_AS_KWH_MEDIAN = 50.0
# MDM quality codes of an estimated (not measured) interval read
ESTIMATED_QUALITY = ("8", "9", "E", "EST")


def _interval_repairs(df: pd.DataFrame, out: pd.DataFrame) -> None:
    """Meter-day repairs the interval feed itself proves: start-of-interval stamps, Wh labelled kWh,
    negative reads on a delivered-energy channel. Each repaired row is listed in `repair`."""
    repair = pd.Series("", index=out.index, dtype=object)
    local = dates.naive_local(df["interval_end_local"])
    minutes = pd.to_numeric(out["interval_minutes_std"], errors="coerce").fillna(15)
    utc = pd.to_datetime(out["interval_end_utc"], errors="coerce")
    day = (local - pd.to_timedelta(minutes, unit="m")).dt.date
    keys = [out["service_point_id_std"], df["channel"], day]
    # interval END stamps run 00:15 .. 24:00; a meter-day whose stamps run 00:00 .. 23:45 is stamped with starts
    starts_at_midnight = (local.dt.hour == 0) & (local.dt.minute == 0)
    frame = pd.DataFrame({"sp": keys[0], "ch": keys[1], "day": local.dt.date, "midnight": starts_at_midnight,
                          "last": local})
    grp = frame.groupby(["sp", "ch", "day"], sort=False, dropna=False)
    has_midnight = grp["midnight"].transform("any")
    latest = grp["last"].transform("max")
    shifted = has_midnight & (latest.dt.hour == 23) & (latest.dt.minute == 60 - minutes.clip(upper=60))
    if shifted.any():
        out.loc[shifted, "interval_end_utc"] = (utc[shifted] + pd.to_timedelta(minutes[shifted], unit="m")).to_numpy()
        repair[shifted] = "start_of_interval"
    value = pd.to_numeric(out["value_std"], errors="coerce")
    unit = df["unit"].astype("string").str.upper()
    med = value.groupby([keys[0], keys[1], day], sort=False, dropna=False).transform("median")
    wh = (unit == "KWH") & (med > WH_AS_KWH_MEDIAN)
    if wh.any():
        value[wh] = (value[wh] / 1000).round(6)
        repair[wh] = repair[wh] + np.where(repair[wh] != "", ",", "") + "wh_as_kwh"
    negative = (value < 0) & (df["channel"].astype("string").str.strip() == "1")
    if negative.any():  # channel 1 is delivered energy; only a net-metering received channel may go negative
        value[negative] = -value[negative]
        repair[negative] = repair[negative] + np.where(repair[negative] != "", ",", "") + "negative_delivered"
    out["value_std"] = none_for_null(value)
    out["repairs"] = none_for_null(repair.where(repair != ""))
