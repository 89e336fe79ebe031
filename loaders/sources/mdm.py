"""S2 MDM / AMI: interval and register CSVs, and Green Button ESPI XML.

ESPI is read with defusedxml, so entity expansion (an "XML bomb") and external entities are refused.
Each IntervalReading takes its service point from the nearest preceding UsagePoint entry's title and its
unit and power-of-ten multiplier from the nearest preceding ReadingType.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as SafeET
import pandas as pd
from defusedxml import DefusedXmlException

from loaders.errors import DeliveryError
from loaders.sources.delivery import DeliveryName, Parsed, read_delimited, take_rejects


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_espi(path: Path, text: str, encoding: str, feed_name: str) -> Parsed:
    """IntervalReadings of an ESPI feed, one staged row each."""
    if not text.strip():
        raise DeliveryError(str(path), "file is empty; expected an ESPI <feed>", line=1, code="empty_file")
    try:
        root = SafeET.fromstring(text.encode("utf-8"))
    except DefusedXmlException as e:
        raise DeliveryError(str(path), f"XML refused: {type(e).__name__} (entity declarations are not allowed)",
                            code="unsafe_xml") from None
    except ParseError as e:
        line = e.position[0] if getattr(e, "position", None) else None
        raise DeliveryError(str(path), f"XML is not well-formed: {e}", line=line, code="bad_xml") from None
    rows: list[list[str | None]] = []
    usage_point: str | None = None
    uom: str | None = None
    power: str | None = None
    for entry in root.iter():
        tag = _local(entry.tag)
        if tag == "entry":
            kinds = {_local(e.tag) for e in entry.iter()}
            title = next((e.text for e in entry if _local(e.tag) == "title"), None)
            if "UsagePoint" in kinds and title:
                usage_point = title.strip()
            if "ReadingType" in kinds:
                uom = _child_text(entry, "uom")
                power = _child_text(entry, "powerOfTenMultiplier") or "0"
        elif tag == "IntervalReading":
            start = duration = value = quality = None
            for el in entry.iter():
                t = _local(el.tag)
                if t == "start":
                    start = (el.text or "").strip()
                elif t == "duration":
                    duration = (el.text or "").strip()
                elif t == "value":
                    value = (el.text or "").strip()
                elif t == "quality":
                    quality = (el.text or "").strip()
            rows.append([usage_point, uom, power, start, duration, value, quality])
    cols = ["service_point_id", "uom", "power_of_ten_multiplier", "interval_start_epoch", "duration_seconds",
            "value", "quality"]
    df = pd.DataFrame(rows, columns=cols, dtype=object)
    df.insert(0, "source_row_number", range(1, len(df) + 1))
    parsed = Parsed(encoding)
    parsed.rows[feed_name] = df
    parsed.rejects[feed_name] = []
    return parsed


def _child_text(node: object, name: str) -> str | None:
    for el in node.iter():  # type: ignore[attr-defined]
        if _local(el.tag) == name and el.text:
            return el.text.strip()
    return None


def parse(path: Path, name: DeliveryName, text: str, encoding: str) -> Parsed:
    """Parse one MDM delivery (interval CSV, register CSV or ESPI XML)."""
    if name.feed.format == "espi_xml":
        return parse_espi(path, text, encoding, name.feed.name)
    df = read_delimited(path, text, name.feed, ",")
    parsed = Parsed(encoding)
    parsed.rejects[name.feed.name] = take_rejects(df, "wrong_field_count")
    parsed.rows[name.feed.name] = df
    return parsed
