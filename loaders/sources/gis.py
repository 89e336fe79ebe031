"""S6 GIS: comma-separated export with WKT point geometry (parsed into coordinates by the cleanser)."""

from __future__ import annotations

from pathlib import Path

from loaders.sources.delivery import DeliveryName, Parsed, read_delimited, take_rejects


def parse(path: Path, name: DeliveryName, text: str, encoding: str) -> Parsed:
    """Parse one GIS export (quoted WKT fields may contain commas)."""
    df = read_delimited(path, text, name.feed, ",")
    parsed = Parsed(encoding)
    parsed.rejects[name.feed.name] = take_rejects(df, "wrong_field_count")
    parsed.rows[name.feed.name] = df
    return parsed
