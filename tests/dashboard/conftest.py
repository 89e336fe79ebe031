"""Warehouses for the console tests: missing, migrated but empty, and filled with a few weeks of history."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.console_db import dispose_engines
from warehouse.engine import create_engine
from warehouse.migrate import migrate

# tests/ is not a package (importlib mode): load the history helper by path, once.
_spec = importlib.util.spec_from_file_location("mart_history", Path(__file__).with_name("mart_history.py"))
mart_history = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
sys.modules["mart_history"] = mart_history
_spec.loader.exec_module(mart_history)  # type: ignore[union-attr]


@pytest.fixture(autouse=True)
def _fresh_engines() -> Iterator[None]:
    """Each test's warehouse is a new file: do not keep read-only engines (and their files) across tests."""
    yield
    dispose_engines()


@pytest.fixture
def missing_url(tmp_path: Path) -> str:
    return f"duckdb:///{tmp_path / 'nothing_here.duckdb'}"


@pytest.fixture
def empty_url(tmp_path: Path) -> str:
    url = f"duckdb:///{tmp_path / 'empty.duckdb'}"
    engine = create_engine(url)
    migrate(engine)
    engine.dispose()
    return url


def filled(path: Path, **kwargs: object) -> tuple[str, object]:
    url = f"duckdb:///{path}"
    engine = create_engine(url)
    summary = mart_history.fill_history(engine, **kwargs)
    engine.dispose()
    return url, summary


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, object]:
    """Three weeks of history, 48 checks, six sources; read-only for the tests that share it."""
    return filled(tmp_path_factory.mktemp("populated") / "wh.duckdb", days=21, checks=48)


@pytest.fixture
def writable(tmp_path: Path) -> tuple[str, object]:
    """A small filled warehouse of the test's own, for tests that write (incident actions)."""
    return filled(tmp_path / "wh.duckdb", days=5, checks=24)
