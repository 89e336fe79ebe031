"""Shared fixtures of the hardening tests: a small generated delivery set, a loaded-and-checked warehouse
template, full table hashes, and the CLI run in-process with everything it prints captured."""

from __future__ import annotations

import contextlib
import hashlib
import io
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warehouse.engine import create_engine

SEED = 3
CUSTOMERS = 60
DAYS = 2
START = date(2026, 11, 1)  # 2026-11-01 is the US fall-back day: the MDM files carry the repeated hour


@dataclass
class CliRun:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


def cli(*argv: str) -> CliRun:
    """Run `utilityflow ARGV` in this process through the real entry point (error handling included)."""
    from monitor.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(argv))
        except SystemExit as e:
            code = int(e.code or 0)
    return CliRun(code, out.getvalue(), err.getvalue())


def table_hashes(engine: Engine, exclude: frozenset[str] = frozenset()) -> dict[str, tuple[int, str]]:
    """table or view -> (rows, sha256 of its sorted rows), for every table in the current schema."""
    out: dict[str, tuple[int, str]] = {}
    with engine.connect() as conn:
        names = sorted(sa.inspect(conn).get_table_names())
        for name in names:
            if name in exclude:
                continue
            rows = sorted(repr(tuple(r)) for r in conn.execute(sa.text(f'SELECT * FROM "{name}"')))
            out[name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return out


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two delivery days of 60 generated customers (seeded: byte-identical every run)."""
    from loaders.synth.generator import generate
    from loaders.synth.params import GenerateParams

    out = tmp_path_factory.mktemp("gen") / "out"
    generate(GenerateParams(customers=CUSTOMERS, days=DAYS, start=START, seed=SEED, out=out))
    return out


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty, migrated DuckDB warehouse file to copy."""
    from warehouse.migrate import migrate

    path = tmp_path_factory.mktemp("tpl") / "empty.duckdb"
    engine = create_engine(f"duckdb:///{path}")
    migrate(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def loaded_template(tmp_path_factory: pytest.TempPathFactory, migrated_template: Path, generated: Path) -> Path:
    """The generated deliveries loaded (not yet checked) into a DuckDB warehouse file to copy."""
    from loaders.run import load_directory

    path = tmp_path_factory.mktemp("loaded") / "loaded.duckdb"
    shutil.copy(migrated_template, path)
    engine = create_engine(f"duckdb:///{path}")
    summary = load_directory(engine, generated)
    engine.dispose()
    assert summary.count("failed") == 0
    return path


@pytest.fixture
def loaded_copy(loaded_template: Path, tmp_path: Path) -> Iterator[str]:
    """A private copy of the loaded warehouse: its URL."""
    path = tmp_path / "w.duckdb"
    shutil.copy(loaded_template, path)
    yield f"duckdb:///{path}"
