"""S3 CRM / contact centre / web: JSON lines of contacts, cases and interactions."""

from __future__ import annotations

from pathlib import Path

from loaders.sources.delivery import DeliveryName, Parsed
from loaders.sources.jsonl import read_jsonl


def parse(path: Path, name: DeliveryName, text: str, encoding: str) -> Parsed:
    """Parse one CRM delivery; a line that is not a JSON object is quarantined as malformed_json."""
    return read_jsonl(path, text, encoding, name.feed)
