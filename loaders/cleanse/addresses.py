"""US addresses: USPS Publication 28 abbreviations, unit split out, ZIP to zip5 + zip4.

`123 NORTH MAIN STREET #4` and `123 N Main St Apt 4` both become address `123 N MAIN ST`, unit `4`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from loaders.cleanse import ASCII_SPACE, arrow_strings, collapse_spaces, extracted, map_distinct, none_for_null

# Pub 28 Appendix C1 (street suffixes, the common ones) and B (directionals).
SUFFIX = {
    "STREET": "ST", "STR": "ST", "AVENUE": "AVE", "AV": "AVE", "AVN": "AVE", "ROAD": "RD", "DRIVE": "DR",
    "DRV": "DR", "LANE": "LN", "BOULEVARD": "BLVD", "BOUL": "BLVD", "COURT": "CT", "PLACE": "PL",
    "TERRACE": "TER", "CIRCLE": "CIR", "PARKWAY": "PKWY", "HIGHWAY": "HWY", "TRAIL": "TRL", "SQUARE": "SQ",
    "ALLEY": "ALY", "CROSSING": "XING", "EXPRESSWAY": "EXPY", "FREEWAY": "FWY", "HEIGHTS": "HTS",
    "HOLLOW": "HOLW", "JUNCTION": "JCT", "LOOP": "LOOP", "MOUNT": "MT", "MOUNTAIN": "MTN", "POINT": "PT",
    "RIDGE": "RDG", "ROUTE": "RTE", "RUN": "RUN", "TURNPIKE": "TPKE", "VALLEY": "VLY", "VIEW": "VW",
    "WAY": "WAY", "CREEK": "CRK", "ESTATES": "ESTS", "GARDENS": "GDNS", "GROVE": "GRV", "HILL": "HL",
    "LAKE": "LK", "MEADOWS": "MDWS", "PARK": "PARK", "PLAZA": "PLZ", "SPRINGS": "SPGS", "CENTER": "CTR",
}
DIRECTION = {"NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W", "NORTHEAST": "NE", "NORTHWEST": "NW",
             "SOUTHEAST": "SE", "SOUTHWEST": "SW"}
# A directional that is the street's name is spelled out however it was written (Pub 28 abbreviates only a
# directional beside a name): `7 W PARK` and `7 West Park` are one street, `7 WEST PARK`
NAMED_DIRECTION = {**{abbr: word for word, abbr in DIRECTION.items()}, **{word: word for word in DIRECTION}}
# A suffix or directional already written as Pub 28 abbreviates it is one too: without these, `112 NORTH ST`
# (no suffix seen, so NORTH read as a directional) became `112 N ST` while `112 NORTH STREET` became
# `112 NORTH ST`
SUFFIX.update({abbr: abbr for abbr in set(SUFFIX.values())})
DIRECTION.update({abbr: abbr for abbr in set(DIRECTION.values())})
UNIT_WORDS = {"APARTMENT": "APT", "APT": "APT", "SUITE": "STE", "STE": "STE", "UNIT": "UNIT", "#": "#",
              "ROOM": "RM", "RM": "RM", "FLOOR": "FL", "FL": "FL", "BUILDING": "BLDG", "BLDG": "BLDG",
              "LOT": "LOT", "SPACE": "SPC", "SPC": "SPC", "TRAILER": "TRLR", "TRLR": "TRLR"}
_UNIT = re.compile(r"\s*(?:,\s*)?(?:\b(APARTMENT|APT|SUITE|STE|UNIT|ROOM|RM|FLOOR|FL|BUILDING|BLDG|LOT|SPACE|SPC|"
                   r"TRAILER|TRLR)\b\.?\s*#?\s*|#\s*)([A-Z0-9-]+)\s*$")


@lru_cache(maxsize=1_000_000)
def street(raw: str) -> tuple[str | None, str | None]:
    """(address_std, unit_std) from a street line that may carry its unit."""
    text = re.sub(r"[.,]", " ", raw.upper()).replace("#", " # ")
    text = " ".join(text.split())
    unit = None
    m = _UNIT.search(text)
    if m:
        unit, text = m.group(2), text[: m.start()].strip()
    words = text.split()
    last = len(words) - 1
    post_dir = last >= 3 and words[last] in DIRECTION
    suffix_at = last - 1 if post_dir else last
    has_suffix = suffix_at >= 2 and words[suffix_at] in SUFFIX
    name_end = suffix_at - 1 if has_suffix else (last - 1 if post_dir else last)
    out = []
    for i, w in enumerate(words):
        if i == 1 and w in DIRECTION:
            # a directional is one only beside a street name: in `112 NORTH RD` NORTH *is* the name
            out.append(DIRECTION[w] if name_end >= 2 else NAMED_DIRECTION[w])
        elif i == last and post_dir:
            out.append(DIRECTION[w])
        elif i == suffix_at and has_suffix:
            out.append(SUFFIX[w])
        else:
            out.append(w)
    return (" ".join(out) or None), unit


def unit_std(raw: pd.Series) -> pd.Series:
    """A separately delivered unit (`Apt 4`, `#4`, `4`) -> `4`."""
    s = raw.astype("string").str.upper().str.replace(r"[.,#]", " ", regex=True)
    words = "|".join(UNIT_WORDS.keys() - {"#"})
    s = collapse_spaces(s.str.replace(rf"\b({words})\b", " ", regex=True))
    return none_for_null(s.where(s.str.len() > 0))


def zips(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(zip5, zip4): `12345-6789`, `123456789`, `12345` and a zero-stripped `1234` (-> `01234`)."""
    d = raw.astype("string").str.replace(r"[\s-]", "", regex=True)
    ok9 = d.str.fullmatch(r"\d{9}").fillna(False)
    ok5 = d.str.fullmatch(r"\d{4,5}").fillna(False)
    zip5 = d.str[:5].where(ok9, d.str.zfill(5).where(ok5, None))
    zip4 = d.str[5:9].where(ok9, None)
    return none_for_null(zip5), none_for_null(zip4)


def streets(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(address_std, unit_std) columns: `street` of every value.

    ASCII values (nearly all) are standardised by Arrow compute over the whole column: at 2 M premises
    `street` once per distinct value cost ~15 s a file. Python's `upper` and regular expressions treat
    non-ASCII text differently from Arrow's, so those values still go through `street` itself."""
    arrow = arrow_strings(raw)
    ascii_ = pc.fill_null(pc.string_is_ascii(arrow), False).to_numpy(zero_copy_only=False)
    address, unit = _ascii_streets(pc.if_else(ascii_, arrow, pa.scalar(None, pa.string())))
    address = pd.Series(address, index=raw.index, dtype=object)
    unit = pd.Series(unit, index=raw.index, dtype=object)
    other = ~ascii_ & raw.notna().to_numpy()
    if other.any():
        pairs = map_distinct(raw[other], street)
        address[other] = pairs.map(lambda p: p[0], na_action="ignore").to_numpy()
        unit[other] = pairs.map(lambda p: p[1], na_action="ignore").to_numpy()
    return none_for_null(address), none_for_null(unit)


# `street`'s unit pattern for ASCII text in RE2; the lazy head ends where `_UNIT.search` would start its
# (leftmost) match
_HEAD_AND_UNIT = "^(?s)(?P<head>.*?)" + _UNIT.pattern.replace(r"\s", ASCII_SPACE).replace(
    "([A-Z0-9-]+)", "(?P<unit>[A-Z0-9-]+)").replace("(APARTMENT|", "(?:APARTMENT|")


def _ascii_streets(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """`street` of ASCII values (None stays None) as two object arrays."""
    text = pc.replace_substring(pc.replace_substring_regex(pc.ascii_upper(text), "[.,]", " "), "#", " # ")
    text = pc.replace_substring_regex(pc.replace_substring_regex(text, ASCII_SPACE + "+", " "), "^ | $", "")
    found = pc.extract_regex(text, _HEAD_AND_UNIT)
    matched = pc.fill_null(found.is_valid(), False)
    unit = extracted(found, "unit")
    # `street` strips what precedes the unit; here there is nothing to strip: the text is stripped and the
    # unit pattern's leading spaces take every space before the unit
    head = pc.if_else(matched, found.field("head"), text)
    words = pc.split_pattern(head, " ")
    n = np.where(pc.fill_null(pc.equal(head, ""), True).to_numpy(zero_copy_only=False), 0,
                 pc.fill_null(pc.list_value_length(words), 0).to_numpy(zero_copy_only=False))
    offsets = words.offsets.to_numpy()
    flat = pc.list_flatten(words)  # an empty head is one '' word here; n says 0 words and it is dropped below
    row = pc.list_parent_indices(words).to_numpy()
    pos = np.arange(len(flat)) - offsets[row]
    last = n - 1

    def word(at: np.ndarray) -> pa.Array:
        return flat.take(pa.array(np.clip(offsets[:-1] + at, 0, max(len(flat) - 1, 0))))

    def known(w: pa.Array, table: dict[str, str]) -> np.ndarray:
        return pc.is_in(w, value_set=pa.array(list(table))).to_numpy(zero_copy_only=False)

    post_dir = (last >= 3) & known(word(last), DIRECTION) if len(flat) else np.zeros(len(n), bool)
    suffix_at = np.where(post_dir, last - 1, last)
    has_suffix = (suffix_at >= 2) & known(word(suffix_at), SUFFIX) if len(flat) else np.zeros(len(n), bool)
    name_end = np.where(has_suffix, suffix_at - 1, np.where(post_dir, last - 1, last))
    is_dir = known(flat, DIRECTION)
    as_dir = (pos == 1) & is_dir & (name_end[row] >= 2) | (pos == last[row]) & post_dir[row]
    as_name = (pos == 1) & is_dir & (name_end[row] < 2)
    as_suffix = (pos == suffix_at[row]) & has_suffix[row]
    new = pc.if_else(pa.array(as_dir), _mapped(flat, DIRECTION),
                     pc.if_else(pa.array(as_name), _mapped(flat, NAMED_DIRECTION),
                                pc.if_else(pa.array(as_suffix), _mapped(flat, SUFFIX), flat)))
    keep = pos < n[row]
    joined = pc.binary_join(pa.ListArray.from_arrays(
        pa.array(np.r_[0, np.cumsum(np.bincount(row[keep], minlength=len(n)))], type=pa.int32()),
        new.filter(pa.array(keep))), " ")
    # cast: with a None branch numpy's type stubs pick np.where's one-argument form, which returns a tuple
    address = cast(np.ndarray, np.where(n > 0, joined.to_numpy(zero_copy_only=False), None))
    address[pc.is_null(text).to_numpy(zero_copy_only=False)] = None
    return address, unit.to_numpy(zero_copy_only=False)


def _mapped(words: pa.Array, table: dict[str, str]) -> pa.Array:
    """Each word's abbreviation in `table` (null where it has none)."""
    return pc.take(pa.array(list(table.values())), pc.index_in(words, value_set=pa.array(list(table))))


def city_state(city: pd.Series, state: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Upper-cased city (single spaces) and a two-letter state; anything else -> None."""
    c = collapse_spaces(city.astype("string").str.upper())
    s = state.astype("string").str.strip().str.upper()
    return none_for_null(c.where(c.str.len() > 0)), none_for_null(s.where(s.str.fullmatch(r"[A-Z]{2}").fillna(False)))
