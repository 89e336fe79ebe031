"""Wiring shared by the CLI commands: resolved settings and the warehouse engine."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from monitor.settings import Settings
from warehouse.engine import create_engine


def load_settings(warehouse_url: str | None = None, config_file: str | None = None) -> Settings:
    """Settings from defaults, the TOML file, the environment and the command's flags."""
    return Settings.load(config_file=config_file, warehouse_url=warehouse_url)


def warehouse_engine(settings: Settings, *, read_only: bool = False) -> Engine:
    """The engine for the configured warehouse."""
    return create_engine(
        settings.warehouse_url, read_only=read_only, duckdb_memory_limit=settings.duckdb_memory_limit or None
    )
