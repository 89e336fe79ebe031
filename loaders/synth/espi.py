"""S2 MDM: a Green Button (NAESB ESPI) Atom XML export of a few electric service points per day.

Layout (what the loader maps to `mdm_espi` columns):
- one `entry` per UsagePoint: `title` = service_point_id, `link rel="self"` ends in `/UsagePoint/<id>`;
- one shared `ReadingType` entry: `uom` 72 (Wh), `powerOfTenMultiplier` 0, `intervalLength` 900;
- one `IntervalBlock` entry per UsagePoint and day, `link rel="up"` = `.../UsagePoint/<id>/MeterReading/1/
  IntervalBlock`; each `IntervalReading` has `timePeriod/start` (UTC epoch of the interval START),
  `timePeriod/duration` (900 s), `value` (Wh) and `ReadingQuality/quality` (14 = raw).
The readings are the true values (ESPI is the customer-facing copy; it carries no injected defects).
"""

from __future__ import annotations

from datetime import date
from xml.sax.saxutils import escape

import numpy as np

from loaders.synth.clock import grid, local_midnight_epoch
from loaders.synth.formats import Deliveries

BASE = "https://utilityflow.example/espi/1_1/resource"
NS = 'xmlns="http://www.w3.org/2005/Atom" xmlns:espi="http://naesb.org/espi"'


def write_espi(
    day: date, values: dict[int, np.ndarray], sp_label: dict[int, str], deliveries: Deliveries
) -> None:
    """Write the ESPI XML of `day` for service points `values` (sp -> Wh per 15-minute interval)."""
    g = grid(day, 15)
    updated = f"{day.isoformat()}T23:59:59Z"
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        f"<feed {NS}>\n<id>urn:utilityflow:espi:{day:%Y%m%d}</id>\n",
        f"<title>UtilityFlow Green Button export {day.isoformat()}</title>\n<updated>{updated}</updated>\n",
        f'<entry>\n<id>urn:utilityflow:ReadingType:1</id>\n<link rel="self" href="{BASE}/ReadingType/1"/>\n'
        "<title>Energy delivered</title>\n<updated>" + updated + "</updated>\n<content>\n<espi:ReadingType>"
        "<espi:accumulationBehaviour>4</espi:accumulationBehaviour><espi:commodity>1</espi:commodity>"
        "<espi:flowDirection>1</espi:flowDirection><espi:intervalLength>900</espi:intervalLength>"
        "<espi:kind>12</espi:kind><espi:powerOfTenMultiplier>0</espi:powerOfTenMultiplier>"
        "<espi:uom>72</espi:uom></espi:ReadingType>\n</content>\n</entry>\n",
    ]
    rows = 0
    day_start = local_midnight_epoch(day)
    for sp, vals in values.items():
        label = escape(sp_label[sp])
        up = f"{BASE}/Subscription/1/UsagePoint/{label}"
        parts.append(
            f'<entry>\n<id>urn:utilityflow:UsagePoint:{label}</id>\n<link rel="self" href="{up}"/>\n'
            f"<title>{label}</title>\n<updated>{updated}</updated>\n<content>\n<espi:UsagePoint>"
            "<espi:ServiceCategory><espi:kind>0</espi:kind></espi:ServiceCategory></espi:UsagePoint>\n"
            "</content>\n</entry>\n"
        )
        readings = "".join(
            "<espi:IntervalReading><espi:ReadingQuality><espi:quality>14</espi:quality></espi:ReadingQuality>"
            f"<espi:timePeriod><espi:duration>900</espi:duration><espi:start>{int(s)}</espi:start>"
            f"</espi:timePeriod><espi:value>{int(v)}</espi:value></espi:IntervalReading>\n"
            for s, v in zip(g.start_epoch, vals, strict=True)
        )
        rows += len(vals)
        parts.append(
            f"<entry>\n<id>urn:utilityflow:IntervalBlock:{label}:{day:%Y%m%d}</id>\n"
            f'<link rel="up" href="{up}/MeterReading/1/IntervalBlock"/>\n'
            f'<link rel="related" href="{BASE}/ReadingType/1"/>\n<title>{label} {day.isoformat()}</title>\n'
            f"<updated>{updated}</updated>\n<content>\n<espi:IntervalBlock><espi:interval>"
            f"<espi:duration>{g.n * 900}</espi:duration><espi:start>{day_start}</espi:start>"
            "</espi:interval>\n"
            f"{readings}</espi:IntervalBlock>\n</content>\n</entry>\n"
        )
    parts.append("</feed>\n")
    with deliveries.open("mdm", "mdm_espi", day, "xml") as sink:
        sink.raw("".join(parts).encode(), rows)
