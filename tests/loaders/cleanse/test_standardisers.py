"""Standardisers on small hand-made values: each defect class repaired to the clean value, or refused."""

from __future__ import annotations

import datetime as dt
import sys

import numpy as np
import pandas as pd
import pytest

from loaders.cleanse import addresses, contacts, dates, ids, names, units


def s(*values: object) -> pd.Series:
    return pd.Series(list(values), dtype=object)


def test_ids_left_padded_and_letters_refused() -> None:
    out = ids.pad_id(s("1234567", "0001234567", " 12-34 ", "12A4", "", None, "12345678901"), 10)
    assert out.tolist() == ["0001234567", "0001234567", "0000001234", None, None, None, None]


def test_account_from_free_text() -> None:
    out = ids.account_from_text(s("acct 0000-0000-1001", "#000000001002", "1003", "n/a", "Account: 12345678"))
    assert out.tolist() == ["000000001001", "000000001002", None, None, "000012345678"]


@pytest.mark.parametrize(("raw", "expected", "status"), [
    ("20260105", dt.date(2026, 1, 5), ""),
    ("00000000", None, "null"),
    ("", None, "null"),
    ("20261305", dt.date(2026, 5, 13), "swapped"),  # month 13 can only be a swapped day
    ("20260502", dt.date(2026, 5, 2), ""),  # ambiguous: taken as written
    ("20261332", None, "invalid"),
    ("31/02/2026", None, "invalid"),
    ("2026-01-05", dt.date(2026, 1, 5), ""),
])
def test_dates(raw: str, expected: dt.date | None, status: str) -> None:
    values, statuses = dates.parse_yyyymmdd(s(raw))
    assert values.iloc[0] == expected and statuses.iloc[0] == status


def test_timestamps_to_utc_with_offsets_and_local() -> None:
    out, status = dates.parse_timestamp_utc(
        s("2026-01-05T09:00:00Z", "2026-01-05T09:10:00-06:00", "2026-07-01 10:00:00", "2026-03-08T02:30:00", "x"),
        "America/New_York")
    assert out.iloc[0] == pd.Timestamp("2026-01-05 09:00:00")
    assert out.iloc[1] == pd.Timestamp("2026-01-05 15:10:00")
    assert out.iloc[2] == pd.Timestamp("2026-07-01 14:00:00")  # EDT = UTC-4
    assert status.tolist() == ["", "", "", "shifted", "invalid"]
    assert out.iloc[3] == pd.Timestamp("2026-03-08 07:30:00")  # 03:30 EDT


def test_fall_back_day_has_100_distinct_quarter_hours_in_utc() -> None:
    # 2026-11-01 in New York: 01:00-02:00 local happens twice; interval END stamps 00:15 .. 24:00 local.
    ends = pd.date_range("2026-11-01 00:15", "2026-11-02 00:00", freq="15min")
    # ends 01:00-01:45 occur twice (EDT, then EST); 02:00 once (EST)
    repeated = ends[(ends >= "2026-11-01 01:00") & (ends < "2026-11-01 02:00")]
    local = list(ends[ends < "2026-11-01 02:00"]) + list(repeated) + list(ends[ends >= "2026-11-01 02:00"])
    text = pd.Series([t.strftime("%Y-%m-%dT%H:%M:%S") for t in local])
    keys = pd.DataFrame({"sp": ["SP1"] * len(text), "ch": ["1"] * len(text)})
    utc, status = dates.local_interval_to_utc(keys, text, "America/New_York")
    assert len(text) == 100 and (status == "").all()
    assert utc.nunique() == 100 and utc.is_monotonic_increasing
    assert (utc.diff().dropna() == pd.Timedelta(minutes=15)).all()


def test_spring_forward_local_times_that_do_not_exist() -> None:
    keys = pd.DataFrame({"sp": ["SP1"] * 2, "ch": ["1"] * 2})
    _, status = dates.local_interval_to_utc(keys, s("2026-03-08T02:15:00", "2026-03-08T03:15:00"), "America/New_York")
    assert status.tolist() == ["nonexistent", ""]


@pytest.mark.parametrize(("raw", "parts"), [
    ("SMITH JOHN", ("john", "smith", None, None, "person")),
    ("SMITH, JOHN A", ("john", "smith", None, None, "person")),
    ("SMITH JOHN & MARY", ("john", "smith", "mary", None, "person")),
    ("ESTATE OF ALICE BROWN", ("alice", "brown", None, None, "estate")),
    ("ESTATE OF BROWN, ALICE", ("alice", "brown", None, None, "estate")),
    ("SMITH J", ("j", "smith", None, None, "person")),
    ("SMITH HOLDINGS LLC", (None, None, None, "smith holdings llc", "organisation")),
    ("OWNER UNKNOWN", (None, None, None, None, "placeholder")),
    ("ACME WIDGETS LLC", (None, None, None, "acme widgets llc", "organisation")),
    ("CURRENT OCCUPANT", (None, None, None, None, "placeholder")),
    ("DR JONES MARK JR", ("mark", "jones", None, None, "person")),
])
def test_cis_names(raw: str, parts: tuple) -> None:
    assert names.split_name(raw) == parts


def test_cis_names_column_is_split_name_per_row_and_none_for_a_missing_name() -> None:
    raw = s("SMITH JOHN & MARY", None, "ACME WIDGETS LLC", "SMITH JOHN & MARY", np.nan, "", "CURRENT OCCUPANT",
            "ESTATE OF BROWN, ALICE", "ACME WIDGETS LLC")
    raw.index = pd.RangeIndex(10, 19)
    out = names.cis_names(raw)
    assert list(out.columns) == ["first_name_std", "last_name_std", "second_person_std", "organisation_std",
                                 "name_kind"]
    assert out.index.equals(raw.index) and (out.dtypes == np.dtype("O")).all()
    expected = [names.split_name(v) if isinstance(v, str) else (None,) * 5 for v in raw]
    assert [tuple(row) for row in out.itertuples(index=False)] == expected
    assert all(v is None for row in out.loc[[11, 14]].itertuples(index=False) for v in row)  # None, not NaN


def test_address_variants_standardise_to_one_key() -> None:
    a = addresses.street("123 N Main St Apt 4")
    b = addresses.street("123 NORTH MAIN STREET #4")
    c = addresses.street("123 North Main Street, Unit 4")
    assert a == b == c == ("123 N MAIN ST", "4")
    assert addresses.street("45 Oak Avenue") == ("45 OAK AVE", None)
    assert addresses.street("9 West Oak Boulevard") == ("9 W OAK BLVD", None)
    assert addresses.street("112 North Road") == ("112 NORTH RD", None)  # NORTH is the street's name here
    assert addresses.street("126 North Lake Parkway") == ("126 N LAKE PKWY", None)
    assert addresses.street("5 Main Street South") == ("5 MAIN ST S", None)
    # a suffix or directional already abbreviated is read as one: same address as spelled out
    assert addresses.street("112 North St") == addresses.street("112 North Street") == ("112 NORTH ST", None)
    assert addresses.street("5 Main St S") == ("5 MAIN ST S", None)
    # a directional that is the name is spelled out, however it was written
    assert addresses.street("7 W Park") == addresses.street("7 West Park") == ("7 WEST PARK", None)
    assert addresses.street("112 N St") == addresses.street("112 North Street") == ("112 NORTH ST", None)
    assert addresses.street("6 N") == addresses.street("6 North") == ("6 NORTH", None)
    assert addresses.street("7 W Park Ave") == ("7 W PARK AVE", None)  # PARK is the name: W is a directional


def test_zips() -> None:
    z5, z4 = addresses.zips(s("62701-1234", "627011234", "62701", "2701", "ABCDE", None))
    assert z5.tolist() == ["62701", "62701", "62701", "02701", None, None]
    assert z4.tolist() == ["1234", "1234", None, None, None, None]


def test_phones_e164_placeholders_and_distinct_calls() -> None:
    contacts.phone_e164.cache_clear()
    contacts._PREFIX_VERDICTS.clear()
    raw = s("(217) 555-0134", "217-555-0134", "+1 217 555 0134", "000-000-0000", "12", None, "(217) 555-0134")
    e164, status = contacts.phones(raw)
    assert e164.tolist()[:3] == ["+12175550134"] * 3
    assert status.tolist() == ["ok", "ok", "ok", "placeholder", "invalid", None, "ok"]
    # the library ran once per distinct area code + exchange of the plainly written numbers (217-555),
    # and once per distinct other value (000-000-0000, 12) — not once per row
    assert contacts.phone_e164.cache_info().misses == 3
    # a later file (CRM contacts, a daily delta) reuses the verdict of a prefix already seen
    e164, status = contacts.phones(s("217-555-0177", "(217) 555-0188"))
    assert e164.tolist() == ["+12175550177", "+12175550188"] and status.tolist() == ["ok", "ok"]
    assert contacts.phone_e164.cache_info().misses == 3


def test_emails_normalised_and_fakes_blocklisted() -> None:
    out, status = contacts.emails(s("John.Smith@Mail.com", "none@none.com", "test@example.com", "not an email",
                                    "noemail@gmail.com", ""))
    assert out.tolist() == ["john.smith@mail.com", None, None, None, None, None]
    assert status.tolist() == ["ok", "placeholder", "placeholder", "invalid", "placeholder", "empty"]


def test_units_to_canonical() -> None:
    value, unit = units.to_canonical(s("250", "1.5", "748", "103.7", "10", "5"), s("Wh", "kWh", "gal", "therms",
                                                                                    "CCF", "BTU"))
    assert value.tolist()[:5] == [0.25, 1.5, 1.0, 100.0, 10.0] and value.iloc[5] is None
    assert unit.tolist() == ["kWh", "kWh", "CCF", "CCF", "CCF", None]


def test_explicit_utc_offsets_settle_the_repeated_hour() -> None:
    utc, ok = dates.with_offset(s("2026-11-01T01:15:00", "2026-11-01T01:15:00", "2026-11-01T03:00:00", "x"),
                                s("-05:00", "-06:00", "Z", "-05:00"))
    assert utc.tolist()[:3] == [pd.Timestamp("2026-11-01 06:15"), pd.Timestamp("2026-11-01 07:15"),
                                pd.Timestamp("2026-11-01 03:00")]
    assert ok.tolist() == [True, True, True, False]


def test_phone_fast_path_agrees_with_phonenumbers_value_by_value() -> None:
    sample = s("(512) 555-0134", "512-867-5309", "5128675309", "+1 (713) 775-7706", "1-713-775-7706",
               "(999) 555-0134", "(512) 155-0134", "212.555.0199", "(800) 555-0100", "713 775 7706 x12",
               "+44 20 7946 0958", "555-0134", "(000) 000-0000", "1111111111",
               # non-ASCII digits and separators are phonenumbers' to read (the fast path once kept the
               # Arabic-Indic digits in its "E.164")
               "(2\u0661\u0667) 555-0134", "217\xa0555\xa00134", "\uff12\uff11\uff17-555-0134", "2175550134\u3000")
    fast = contacts.phones(sample)
    reference = [contacts.phone_e164(v) for v in sample]
    assert list(zip(*fast, strict=True)) == reference


def test_plainly_written_numbers_may_use_any_whitespace_between_groups() -> None:
    """As when Python's `\\s` ran the pattern (phonenumbers itself refuses these separators)."""
    e164, status = contacts.phones(s("212\x0b555\x0b0134", "212\x1c555 0134", "212\u2003555 0134"))
    assert e164.tolist() == ["+12125550134"] * 3 and status.tolist() == ["ok"] * 3


def test_email_fast_path_agrees_with_email_validator_value_by_value() -> None:
    sample = s("billy.foster129@att.net", "A.B@Example.Net", "x@y.co", "first.last+tag@sub.domain.org",
               "bad@@x.com", "no-at-sign", "a..b@x.com", ".a@x.com", "a@-x.com", "a@x", "a@x.test",
               "user@mail.example", "none@none.com", "noemail@gmail.com", "xxx@xxx.com", "ü@x.de",
               "o'brien@x.ie", "a@x.c0m", "a@" + "x" * 64 + ".com")
    fast = contacts.emails(sample)
    slow = contacts._emails_slow(sample)
    assert fast[0].tolist() == slow[0].tolist() and fast[1].tolist() == slow[1].tolist()


def test_collapse_spaces_is_python_split_and_join() -> None:
    from loaders.cleanse import WHITESPACE, collapse_spaces

    assert set(WHITESPACE) == {c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()}
    sample = s(*[f" a{c}{c}b {c}" for c in WHITESPACE], "x\u200by", "  ", "", "one", None, "tab\tand\nnewline ")
    assert collapse_spaces(sample).tolist() == sample.astype("string").str.split().str.join(" ").tolist()
    with pd.option_context("mode.string_storage", "python"):  # pandas 2's default: not Arrow's regex engine
        assert collapse_spaces(sample.astype("string")).tolist() == collapse_spaces(sample).tolist()


def test_wkt_points_read_in_arrow_as_python_reads_them() -> None:
    from loaders.cleanse.feeds import _POINT, point_xy

    spaces = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u3000"
    sample = s(*[f"{p}{w}({w}-87.65{w}41.8{w}){w}" for p in ("POINT", "point", "PoInT", "PO\u0130NT", "PO\u0131NT")
                 for w in spaces],
               "POINT (1 2)", "POINT(-87.6 41.8)", "POINT (1.5 -2.25)", "POINT (1. 2)", "POINT (a b)", "POINT (1 2 3)",
               "LINESTRING (1 2, 3 4)", "", None, "  POINT (0 0)  ", "POINT (--1 2)", "POINT (1 2)\n", "POINT (1\n2)",
               "POINT (\u0661\u0662 3)")
    found = sample.astype("string").str.extract(_POINT)
    x, y = point_xy(sample)
    for got, ref in ((x, found[0]), (y, found[1])):
        assert np.array_equal(got.to_numpy(float), pd.to_numeric(ref, errors="coerce").to_numpy(float), equal_nan=True)
    assert x.notna().sum() == 5 * len(spaces) + 6  # any space, any case of POINT; none of the bad ones


def test_street_lines_standardised_in_arrow_as_street_does_one_by_one() -> None:
    """The column path (Arrow, for ASCII values) gives what `addresses.street` gives value by value."""
    spaces = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \xa0\u3000"
    sample = s("123 north main street apt 4", "12 N. Main St., #5B", None, "", "  ", "APT 4", "# 7", "112 NORTH RD",
               "112 NORTH ST",
               "112 NORTH ROAD", "5 MAIN ST NORTH", "9 W ELM AVENUE SOUTHWEST", "77 SUNSET BOULEVARD SUITE 200",
               "1 STREET", "1 N STREET", "Résumé Street", "10 Park Place Apt. # 3", "4 Oak Ave Unit B-2",
               "4 Oak Ave, Apt 3", "4 Oak Ave Apartment", "4 Oak Ave #", "4 Oak Ave Lot 12 Space 5",
               "4 Oak Ave Suite#9", "4 APTOS WAY", "4 OAK AVE UNITB", "4 OAK AVE UNIT B.", "6 South Lake Drive East",
               "6 NORTH", "6 N", "6 MAIN NORTH", "6 MAIN ST NORTH", "7 W PARK", "7 SW PARK S", "7 NE",
               "Route 66", "1600 PENNSYLVANIA AVENUE NW", "1 MAIN ST APT 4 APT 5", "7 Elm St apt 4b",
               *[f"{w}12{w}north{w}elm{w}street{w}apt{w}3{w}" for w in spaces])
    address, unit = addresses.streets(sample)
    reference = [addresses.street(v) if v is not None else (None, None) for v in sample]
    assert list(zip(address, unit, strict=True)) == reference
