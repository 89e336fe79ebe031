"""S1 CIS / billing: pipe-delimited files with a header row (full snapshot on day 1, deltas after)."""

from __future__ import annotations

from pathlib import Path

from loaders.sources.delivery import DeliveryName, Parsed, read_delimited, take_rejects


def parse(path: Path, name: DeliveryName, text: str, encoding: str) -> Parsed:
    """Parse one CIS delivery; records with the wrong number of fields are flagged for quarantine."""
    df = read_delimited(path, text, name.feed, "|")
    parsed = Parsed(encoding)
    parsed.rejects[name.feed.name] = take_rejects(df, "wrong_field_count")
    parsed.rows[name.feed.name] = df
    return parsed
