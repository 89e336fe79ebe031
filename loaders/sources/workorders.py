"""S5 Work & outage management: JSON lines; each outage nests its customer interruptions."""

from __future__ import annotations

from pathlib import Path

from loaders.sources.delivery import DeliveryName, Parsed
from loaders.sources.jsonl import NESTED, read_jsonl


def parse(path: Path, name: DeliveryName, text: str, encoding: str) -> Parsed:
    """Parse service orders, or outages with their `interruptions` flattened to workorders_interruption."""
    return read_jsonl(path, text, encoding, name.feed, NESTED.get(name.feed.name))
