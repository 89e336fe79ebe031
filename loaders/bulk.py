"""Bulk inserts of a DataFrame into a warehouse table, inside the caller's transaction.

DuckDB scans the DataFrame in place (registered as a view) with one INSERT ... SELECT; PostgreSQL gets
one COPY ... FROM STDIN in CSV. Either way there is no per-row statement.
"""

from __future__ import annotations

import contextlib
import io
import uuid

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from warehouse.dialects import dialect_of_engine
from warehouse.engine import driver_connection
from warehouse.schema import all_tables


def insert_frame(conn: sa.Connection, table: str, df: pd.DataFrame) -> int:
    """Insert `df` (columns named as in the table) into `table`; returns the number of rows."""
    if df.empty:
        return 0
    decl = all_tables().get(table)  # None for a transient work table: let the engine cast
    dialect = dialect_of_engine(conn.engine.dialect.name)
    cols = list(df.columns)
    if dialect.name == "duckdb":
        raw = driver_connection(conn)
        view = f"__uf_{uuid.uuid4().hex[:12]}"
        raw.register(view, _one_arrow_chunk(df))
        try:
            select = ", ".join(
                f'CAST("{c}" AS {_type(dialect, decl.column(c))})' if decl else f'"{c}"' for c in cols)
            raw.execute(f"INSERT INTO {table} ({', '.join(cols)}) SELECT {select} FROM {view}")
        finally:
            unregister(raw, view)
    elif dialect.name == "postgres":
        buf = io.StringIO()
        df.to_csv(buf, index=False, header=False, na_rep="\\N")
        raw = driver_connection(conn)
        with raw.cursor() as cur, cur.copy(
            f"COPY {table} ({', '.join(cols)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
        ) as copy:
            copy.write(buf.getvalue())
    else:
        conn.execute(sa.table(table, *(sa.column(c) for c in cols)).insert(), df.to_dict("records"))
    return len(df)


def _one_arrow_chunk(df: pd.DataFrame) -> pd.DataFrame:
    """`df` with every Arrow-backed column in one Arrow chunk. DuckDB starts a new row group at each chunk of
    a scanned Arrow column (a frame joined from the plain reader's 16 MB blocks: 368,640 rows appended as
    groups of 122,880 + 72,120 + 122,880 + 50,760), and the next checkpoint merges such partial groups,
    rewriting their neighbours; one chunk appends whole row groups. Copying the text once costs far less."""
    joined = {}
    for name in df.columns:
        column = df[name]
        if isinstance(column.dtype, pd.ArrowDtype):
            chunks = column.array.__arrow_array__()
            # (more text than one chunk's 32-bit offsets address stays chunked)
            with contextlib.suppress(pa.ArrowInvalid):
                if chunks.num_chunks > 1:
                    joined[name] = pd.Series(pd.arrays.ArrowExtensionArray(chunks.combine_chunks()), index=df.index)
    return df.assign(**joined) if joined else df


def _type(dialect: object, col: object) -> str:
    return dialect.column_type(col.type, col.length, col.precision, col.scale)  # type: ignore[attr-defined]


def unregister(raw: object, view: str) -> None:
    """Drop a registered frame. In a transaction an error has aborted DuckDB refuses even that ("Current
    transaction is aborted"); that refusal must not replace the error that says what went wrong."""
    try:
        raw.unregister(view)  # type: ignore[attr-defined]
    except Exception as e:  # noqa: BLE001 - only the aborted-transaction refusal is swallowed
        if "transaction is aborted" not in str(e):
            raise
