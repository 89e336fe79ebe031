"""US addresses: USPS Publication 28 abbreviations, unit split out, ZIP to zip5 + zip4.

`123 NORTH MAIN STREET #4` and `123 N Main St Apt 4` both become address `123 N MAIN ST`, unit `4`.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pandas as pd

from loaders.cleanse import collapse_spaces, map_distinct, none_for_null

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
        # a directional is one only beside a street name: in `112 NORTH RD` NORTH *is* the name
        if i == 1 and w in DIRECTION and name_end >= 2 or i == last and post_dir:
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
    """(address_std, unit_std) columns."""
    pairs = map_distinct(raw, street)
    return (none_for_null(pairs.map(lambda p: p[0], na_action="ignore")),
            none_for_null(pairs.map(lambda p: p[1], na_action="ignore")))


def city_state(city: pd.Series, state: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Upper-cased city (single spaces) and a two-letter state; anything else -> None."""
    c = collapse_spaces(city.astype("string").str.upper())
    s = state.astype("string").str.strip().str.upper()
    return none_for_null(c.where(c.str.len() > 0)), none_for_null(s.where(s.str.fullmatch(r"[A-Z]{2}").fillna(False)))
