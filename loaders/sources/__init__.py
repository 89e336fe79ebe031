"""One parser per source system; `parse_file` dispatches a delivery file to its source's parser."""

from __future__ import annotations

import importlib
from pathlib import Path

from loaders.sources.delivery import DeliveryName, Parsed, decode, parse_name, read_bytes


def parse_file(path: Path) -> tuple[DeliveryName, Parsed]:
    """Parse one delivery file strictly; raise DeliveryError naming the file and line when it cannot be."""
    name = parse_name(path)
    text, encoding = decode(path, read_bytes(path, name.gzipped))
    module = importlib.import_module(f"loaders.sources.{name.feed.source}")
    return name, module.parse(path, name, text, encoding)
