"""What each warehouse dialect can do, and how logical column types map onto it.

A dialect is a small record of flags and overrides (as sqlglot models dialects), not a copy of the code
that uses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from warehouse.errors import WarehouseError

DialectName = Literal["duckdb", "postgres", "synapse"]


@dataclass(frozen=True)
class Dialect:
    name: DialectName
    sqlglot: str  # sqlglot's dialect name, for transpiling and parsing
    sqlalchemy: str  # SQLAlchemy's dialect name as in engine.dialect.name
    regex: bool  # has a regular-expression match operator
    multirow_insert_values: bool  # accepts INSERT ... VALUES (...), (...)
    transactional_ddl: bool
    max_statement_chars: int  # split one-scan queries above this
    max_identifier_length: int
    batch_separator: str | None  # T-SQL's GO; None where statements end with ';'
    text_type: str
    types: dict[str, str]

    def column_type(self, logical: str, length: int | None, precision: int, scale: int) -> str:
        if logical == "str":
            return self.types["str"].format(length=length or 255)
        if logical == "decimal":
            return self.types["decimal"].format(precision=precision, scale=scale)
        return self.types[logical]


DUCKDB = Dialect(
    name="duckdb", sqlglot="duckdb", sqlalchemy="duckdb", regex=True, multirow_insert_values=True,
    transactional_ddl=True, max_statement_chars=50_000_000, max_identifier_length=255,
    batch_separator=None, text_type="VARCHAR",
    types={
        "text": "VARCHAR", "str": "VARCHAR({length})", "int": "INTEGER", "bigint": "BIGINT",
        "smallint": "SMALLINT", "decimal": "DECIMAL({precision},{scale})", "double": "DOUBLE",
        "bool": "BOOLEAN", "date": "DATE", "timestamp": "TIMESTAMP",
    },
)

POSTGRES = Dialect(
    name="postgres", sqlglot="postgres", sqlalchemy="postgresql", regex=True, multirow_insert_values=True,
    transactional_ddl=True, max_statement_chars=100_000_000, max_identifier_length=63,
    batch_separator=None, text_type="TEXT",
    types={
        "text": "TEXT", "str": "VARCHAR({length})", "int": "INTEGER", "bigint": "BIGINT",
        "smallint": "SMALLINT", "decimal": "NUMERIC({precision},{scale})", "double": "DOUBLE PRECISION",
        "bool": "BOOLEAN", "date": "DATE", "timestamp": "TIMESTAMP",
    },
)

# Azure Synapse dedicated SQL pool (T-SQL). No regex, no multi-row INSERT VALUES, no (n)varchar(max)
# in a clustered columnstore table, 128-character identifiers, DDL outside explicit transactions.
SYNAPSE = Dialect(
    name="synapse", sqlglot="tsql", sqlalchemy="mssql", regex=False, multirow_insert_values=False,
    transactional_ddl=False, max_statement_chars=65_536 * 4, max_identifier_length=128,
    batch_separator="GO", text_type="NVARCHAR(4000)",
    types={
        "text": "NVARCHAR(4000)", "str": "NVARCHAR({length})", "int": "INT", "bigint": "BIGINT",
        "smallint": "SMALLINT", "decimal": "DECIMAL({precision},{scale})", "double": "FLOAT",
        "bool": "BIT", "date": "DATE", "timestamp": "DATETIME2(3)",
    },
)

DIALECTS: dict[str, Dialect] = {d.name: d for d in (DUCKDB, POSTGRES, SYNAPSE)}
_BY_SQLALCHEMY = {d.sqlalchemy: d for d in DIALECTS.values()}


def get_dialect(name: str) -> Dialect:
    """A dialect by its UtilityFlow name (duckdb, postgres, synapse) or alias (postgresql, tsql, mssql)."""
    aliases = {"postgresql": "postgres", "tsql": "synapse", "mssql": "synapse", "sqlserver": "synapse"}
    key = aliases.get(name.lower(), name.lower())
    if key not in DIALECTS:
        raise WarehouseError(
            f"unknown dialect {name!r}; use one of: {', '.join(DIALECTS)}.", code="unknown_dialect",
            exit_code=2,
        )
    return DIALECTS[key]


def dialect_of_engine(sqlalchemy_dialect_name: str) -> Dialect:
    """The dialect for an engine (`engine.dialect.name`)."""
    try:
        return _BY_SQLALCHEMY[sqlalchemy_dialect_name]
    except KeyError:
        raise WarehouseError(
            f"unsupported warehouse database {sqlalchemy_dialect_name!r}; "
            "use DuckDB, PostgreSQL or SQL Server/Synapse.", code="unsupported_database", exit_code=2,
        ) from None
