"""Units of measure to one canonical unit per commodity: electric kWh, gas and water CCF.

1 CCF = 100 cubic feet = 748 US gallons; 1 CCF of natural gas ~ 1.037 therms (the US average heat content
EIA publishes; a utility would set its own).
"""

from __future__ import annotations

import pandas as pd

from loaders.cleanse import none_for_null

THERMS_PER_CCF = 1.037
GALLONS_PER_CCF = 748.0

# raw unit (upper-cased) -> (canonical unit, factor to multiply by)
CANONICAL: dict[str, tuple[str, float]] = {
    "WH": ("kWh", 0.001), "KWH": ("kWh", 1.0), "MWH": ("kWh", 1000.0),
    "CCF": ("CCF", 1.0), "HCF": ("CCF", 1.0), "MCF": ("CCF", 10.0), "CF": ("CCF", 0.01),
    "THERM": ("CCF", 1 / THERMS_PER_CCF), "THERMS": ("CCF", 1 / THERMS_PER_CCF),
    "GAL": ("CCF", 1 / GALLONS_PER_CCF), "GALLON": ("CCF", 1 / GALLONS_PER_CCF),
    "GALLONS": ("CCF", 1 / GALLONS_PER_CCF),
}
# ESPI ReadingType uom codes (IEC 61968-9): 72 Wh, 169 therm, 42 m3, 128 gallons (US).
ESPI_UOM = {"72": "WH", "169": "THERM", "42": "M3", "128": "GAL"}
CANONICAL["M3"] = ("CCF", 1 / 2.8316846592)


def to_canonical(value: pd.Series, unit: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(value in canonical unit, canonical unit); unknown units give None for both."""
    u = unit.astype("string").str.strip().str.upper()
    factor = u.map({k: v[1] for k, v in CANONICAL.items()})
    canon = u.map({k: v[0] for k, v in CANONICAL.items()})
    num = pd.to_numeric(value, errors="coerce")
    value_std = (num * factor.astype(float)).round(6).where(canon.notna() & num.notna())
    return none_for_null(value_std), none_for_null(canon)
