"""Apply the numbered DDL files of `warehouse/ddl/<dialect>/` in order, once each, recorded in a ledger.

Each file runs in one transaction with its ledger row (DuckDB and PostgreSQL have transactional DDL), so
a failed migration leaves nothing behind. Every statement is idempotent too (IF NOT EXISTS, OBJECT_ID
guards), so re-running a file is harmless. A file whose checksum differs from the one recorded when it was
applied is reported: applied migrations are history and must not be edited.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warehouse.dialects import Dialect
from warehouse.engine import connect_checked, dialect_of
from warehouse.errors import MigrationError
from warehouse.render import DDL_DIR, split_statements

LEDGER = "schema_migrations"


@dataclass(frozen=True)
class MigrationFile:
    version: int
    name: str
    path: Path
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class MigrationOutcome:
    version: int
    name: str
    status: str  # applied | already_applied | changed_since_applied
    statements: int


def migration_files(dialect: Dialect, ddl_dir: Path = DDL_DIR) -> list[MigrationFile]:
    """The dialect's migration files, ordered by number."""
    folder = ddl_dir / dialect.name
    files = []
    for path in sorted(folder.glob("[0-9][0-9][0-9]_*.sql")):
        version = int(path.name[:3])
        files.append(MigrationFile(version, path.stem[4:], path, path.read_text(encoding="utf-8")))
    versions = [f.version for f in files]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"{folder}: two migration files share a number; renumber one.")
    return files


def _ledger_ddl(dialect: Dialect) -> str:
    if dialect.name == "synapse":
        return (
            f"IF OBJECT_ID(N'{LEDGER}', N'U') IS NULL CREATE TABLE {LEDGER} (version INT NOT NULL, "
            "name NVARCHAR(200) NOT NULL, checksum NVARCHAR(64) NOT NULL, applied_at DATETIME2(3) NOT NULL) "
            "WITH (DISTRIBUTION = REPLICATE, HEAP)"
        )
    return (
        f"CREATE TABLE IF NOT EXISTS {LEDGER} (version INTEGER PRIMARY KEY, name VARCHAR(200) NOT NULL, "
        "checksum VARCHAR(64) NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )


def applied_migrations(engine: Engine) -> dict[int, str]:
    """version -> checksum of every migration recorded in the ledger (empty if there is none)."""
    with connect_checked(engine) as conn:
        if not sa.inspect(conn).has_table(LEDGER):
            return {}
        rows = conn.execute(sa.text(f"SELECT version, checksum FROM {LEDGER}")).all()
    return {int(v): str(c) for v, c in rows}


def migrate(
    engine: Engine,
    *,
    ddl_dir: Path = DDL_DIR,
    on_progress: Callable[[MigrationFile], None] | None = None,
) -> list[MigrationOutcome]:
    """Bring the warehouse up to the latest migration. Safe to run any number of times."""
    dialect = dialect_of(engine)
    files = migration_files(dialect, ddl_dir)
    outcomes: list[MigrationOutcome] = []
    with connect_checked(engine) as conn:
        with conn.begin():
            conn.exec_driver_sql(_ledger_ddl(dialect))
            done = {
                int(v): str(c)
                for v, c in conn.execute(sa.text(f"SELECT version, checksum FROM {LEDGER}"))
            }
        for mf in files:
            if on_progress:
                on_progress(mf)
            statements = split_statements(mf.sql, dialect)
            if mf.version in done:
                status = "already_applied" if done[mf.version] == mf.checksum else "changed_since_applied"
                outcomes.append(MigrationOutcome(mf.version, mf.name, status, 0))
                continue
            _apply(conn, mf, statements, dialect)
            outcomes.append(MigrationOutcome(mf.version, mf.name, "applied", len(statements)))
    return outcomes


def _apply(conn: sa.Connection, mf: MigrationFile, statements: list[str], dialect: Dialect) -> None:
    record = sa.text(
        f"INSERT INTO {LEDGER} (version, name, checksum, applied_at) VALUES (:v, :n, :c, :t)"
    ).bindparams(v=mf.version, n=mf.name, c=mf.checksum, t=datetime.now(UTC).replace(tzinfo=None))
    # Synapse has no transactional DDL: each statement is idempotent, and the ledger row is written last.
    tx = conn.begin()
    try:
        for number, statement in enumerate(statements, 1):
            try:
                _execute_verbatim(conn, statement)
            except Exception as e:
                first = statement.strip().splitlines()[0][:120]
                detail = str(getattr(e, "orig", None) or e).strip().splitlines()[0]
                raise MigrationError(
                    f"{mf.path.name}: statement {number} ({first!r}) failed on {dialect.name}: {detail}. "
                    "The migration was rolled back."
                ) from e
        conn.execute(record)
        tx.commit()
    except BaseException:
        tx.rollback()
        raise


def _execute_verbatim(conn: sa.Connection, statement: str) -> None:
    """Run DDL text exactly as written: through the DBAPI cursor with no parameters, so a '%' in a
    literal is not taken for a placeholder (psycopg would)."""
    cursor = conn.connection.cursor()
    try:
        cursor.execute(statement)
    finally:
        cursor.close()
