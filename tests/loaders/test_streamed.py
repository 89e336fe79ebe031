"""Large delimited and JSON-lines files are staged and cleansed in bounded memory (`loaders.batch._load_streamed`).

The streamed path must give exactly what the in-memory path gives: these tests force it on small files
(tiny chunks, several partitions) and compare every staged, cleansed, quarantined and fact row, the audit
counts, and the refusal messages for bad files.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from loaders import batch
from loaders.batch import load_file
from loaders.run import load_directory
from loaders.sources import plain
from loaders.sources.jsonl import iter_jsonl, read_jsonl
from warehouse.engine import create_engine
from warehouse.migrate import migrate
from warehouse.schema import all_tables
from warehouse.schema.staging import FEEDS

from ..conftest import PG_URL
from .conftest import CIS, write_delivery
from .test_bad_inputs import LOADED, QUARANTINED, REFUSED, lines, put

synth = pytest.importorskip("loaders.synth.generator")
params_mod = pytest.importorskip("loaders.synth.params")

# every row of these is compared; audit timestamps are not data, and surrogate keys (`*_sk`) number dimension
# rows in the order they were inserted, which partitioned cleansing does not keep (the natural keys are compared)
SKIP_COLUMNS = {"quarantined_at", "started_at", "finished_at", "received_at", "code_version"}


def force_streaming(monkeypatch: pytest.MonkeyPatch, chunk_rows: int = 40, block_bytes: int = 4096) -> None:
    """Every delimited file streamed, read in chunks of `chunk_rows` records (plain text: whole blocks of
    `block_bytes`, at least `chunk_rows` records), cleansed in 64 KB partitions: a generated file of a few
    dozen customers still crosses chunk boundaries."""
    monkeypatch.setattr(batch, "STREAM_BYTES", -1)
    monkeypatch.setattr(batch, "CHUNK_ROWS", chunk_rows)
    monkeypatch.setattr(batch, "ROW_GROUP_ROWS", chunk_rows * 3 // 5)  # as 122,880 to 200,000
    monkeypatch.setattr(batch, "PART_BYTES", 1 << 16)
    monkeypatch.setattr(plain, "BLOCK_BYTES", block_bytes)


def content(engine: Engine) -> dict[str, list[str]]:
    """Sorted rows of every staging, cleansed, quarantine and fact table, and the audit counts."""
    out = {}
    with engine.connect() as conn:
        for name, table in sorted(all_tables().items()):
            if not (name.startswith(("stg_", "cln_", "fact_")) or name in ("quarantine", "dim_batch")):
                continue
            cols = [c.name for c in table.columns if c.name not in SKIP_COLUMNS and not c.name.endswith("_sk")]
            rows = conn.execute(sa.text(f"SELECT {', '.join(cols)} FROM {name}")).fetchall()
            out[name] = sorted(repr(tuple(r)) for r in rows)
    return out


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen") / "out"
    # spans the fall-back day: repeated local hour resolved by order, re-sent duplicates, unit mix-ups
    synth.generate(params_mod.GenerateParams(customers=60, days=3, start=date(2026, 10, 31), seed=5, out=out))
    return out


def _load(root: Path, out: Path, name: str) -> Engine:
    engine = create_engine(f"duckdb:///{root / name}")
    migrate(engine)
    summary = load_directory(engine, out)
    assert summary.count("failed") == 0, [b.message for b in summary.batches if b.status == "failed"]
    return engine


def test_streamed_load_equals_in_memory_load(generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = content(_load(tmp_path, generated, "memory.duckdb"))
    force_streaming(monkeypatch)
    got = content(_load(tmp_path, generated, "streamed.duckdb"))
    assert sum(len(v) for k, v in expected.items() if k.startswith("cln_")) > 1000
    assert len(expected["quarantine"]) > 0
    for table in expected:
        assert got[table] == expected[table], table


def test_streamed_hand_made_delivery_on_both_backends(warehouse: Engine, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Wrong field counts, repairs and quarantine reasons come out the same on DuckDB and PostgreSQL."""
    out = write_delivery(tmp_path / "out")
    with (out / "cis" / "cis_bill_line_20260105.dat").open("a", encoding="utf-8") as f:
        f.write("B0003|1|ENERGY\nB0003|2|FIXED|Customer charge|1||12.50|12.50\n")  # a short record, then a good one
    reference = create_engine(f"duckdb:///{tmp_path / 'ref.duckdb'}")
    migrate(reference)
    expected = load_directory(reference, out)
    migrate(warehouse)
    force_streaming(monkeypatch, chunk_rows=2)
    got = load_directory(warehouse, out)

    def counts(summary: object) -> list[tuple]:
        return [(b.file, b.status, b.rows_read, b.rows_loaded, b.rows_quarantined, b.rows_merged,
                 sorted(b.quarantined_by_reason.items())) for b in summary.batches]  # type: ignore[attr-defined]
    assert counts(got) == counts(expected)
    assert any(b.quarantined_by_reason.get("wrong_field_count") for b in got.batches)


STREAMED = [r for r in REFUSED if r[1].endswith((".dat", ".csv", ".dat.gz", ".jsonl", ".jsonl.gz"))
            and r[0] not in ("unknown_feed", "bad_date_in_name")]


@pytest.mark.parametrize(("case", "name", "data", "fragment", "line"), STREAMED, ids=[r[0] for r in STREAMED])
def test_streamed_refusals_say_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str, name: str,
                                        data: bytes | str, fragment: str, line: int | None) -> None:
    engine = create_engine(f"duckdb:///{tmp_path / 'w.duckdb'}")
    migrate(engine)
    path = put(tmp_path / "in", name, data)
    expected = load_file(engine, path)
    force_streaming(monkeypatch, chunk_rows=1)
    got = load_file(engine, path)
    assert got.status == expected.status == "failed"
    assert fragment in got.message
    if case.startswith("truncated_gzip"):  # zlib's wording differs between one-shot and streamed reads
        assert got.message.split("(")[0] == expected.message.split("(")[0]
    else:
        assert got.message == expected.message
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM stg_" + path.name.split("_2026")[0])).scalar() == 0


def test_json_lines_read_in_blocks_and_chunks_equal_the_whole_file_read(tmp_path: Path) -> None:
    """Every line break `str.splitlines` knows (a CRLF split across two blocks included), blank lines, broken
    and non-object lines, non-ASCII text and a BOM: same rows, numbers and rejects for any block and chunk size."""
    rnd = random.Random(5)
    breaks = ["\n", "\r\n", "\r", "\x0b", "\x0c", "\x1c", "\x85", "\u2028"]
    lines = []
    for i in range(600):
        kind = rnd.random()
        line = ("{broken" if kind < 0.05 else "   " if kind < 0.08 else "[1, 2]" if kind < 0.1 else
                json.dumps({"contact_id": f"C{i}", "first_name": rnd.choice(["Zoë", "Ann", 'q"x']),
                            "zip": rnd.choice([78701, "78701", None, 1.5]), "street": {"a": 1} if kind < 0.12 else
                            "1 Main St"}, ensure_ascii=rnd.random() < 0.5))
        lines.append(line + rnd.choice(breaks))
    path = tmp_path / "crm_contact_20260105.jsonl"
    path.write_bytes(("".join(lines) + '{"contact_id": "last"}').encode("utf-8-sig"))
    feed = FEEDS["crm_contact"]
    whole = read_jsonl(path, path.read_bytes().decode("utf-8-sig"), "utf-8-sig", feed)
    assert whole.rejects[feed.name] and len(whole.rows[feed.name]) > 500
    for block in (1, 2, 7, 1000, 1 << 20):
        for chunk in (1, 50, 10**6):
            frames = list(iter_jsonl(path, feed, "utf-8-sig", False, chunk, block_bytes=block))
            assert all(len(f) <= chunk for f, _ in frames)
            assert pd.concat([f for f, _ in frames], ignore_index=True).equals(whole.rows[feed.name]), (block, chunk)
            assert [r for _, rs in frames for r in rs] == whole.rejects[feed.name], (block, chunk)


def test_json_values_are_staged_as_the_text_they_were_delivered_as(tmp_path: Path) -> None:
    """Strings as they are, numbers as JSON spells them, booleans as true/false, objects and arrays as JSON with
    sorted keys, null and a missing key as NULL: read whole and in chunks alike."""
    record = {"contact_id": "C1", "first_name": "Zoë", "last_name": "", "email": True, "phone": 5125550100,
              "account_text": 1.5, "street": {"b": [1, None], "a": "x"}, "city": None, "zip": [78701, "x"],
              "created_at": False, "channel": -0.0}  # (no "state")
    path = tmp_path / "crm_contact_20260105.jsonl"
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    feed = FEEDS["crm_contact"]
    expected = {"source_row_number": 1, "contact_id": "C1", "first_name": "Zoë", "last_name": "", "email": "true",
                "phone": "5125550100", "account_text": "1.5", "street": '{"a": "x", "b": [1, null]}', "city": None,
                "state": None, "zip": '[78701, "x"]', "created_at": "false", "channel": "-0.0"}
    whole = read_jsonl(path, path.read_text(encoding="utf-8"), "utf-8", feed).rows[feed.name]
    (chunk, _), = iter_jsonl(path, feed, "utf-8", False, 10)
    for frame in (whole, chunk):
        assert frame.to_dict("records") == [expected]


JSONL_CASES = [(r[0], r[1], r[2]) for r in [*LOADED, *QUARANTINED] if r[1].endswith(".jsonl")]


@pytest.mark.parametrize(("case", "name", "data"), JSONL_CASES, ids=[r[0] for r in JSONL_CASES])
def test_streamed_json_lines_load_as_read_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str, name: str,
                                                data: bytes | str) -> None:
    """An empty file (zero records, not refused), broken lines, a missing key, a 10 MB field: same result."""
    path = put(tmp_path / "in", name, data)
    results = []
    for streamed in (False, True):
        engine = create_engine(f"duckdb:///{tmp_path / f'w{streamed}.duckdb'}")
        migrate(engine)
        if streamed:
            force_streaming(monkeypatch, chunk_rows=1)
        results.append((load_file(engine, path), content(engine)))
    (whole, expected), (got, rows) = results
    assert got.status == whole.status == "loaded", got.message
    assert (got.rows_read, got.rows_loaded, got.rows_quarantined, got.quarantined_by_reason) == (
        whole.rows_read, whole.rows_loaded, whole.rows_quarantined, whole.quarantined_by_reason)
    assert rows == expected


# Exact re-sends of a customer (cleansed in pandas) and an account (cleansed in SQL on DuckDB), placed so that
# with two records a chunk the copies fall in different chunks: a triple copy, copies of rows that are
# quarantined (no key, a bad key: every copy stays quarantined), and a near copy (one field differs: both
# load). A streamed file cleanses each chunk as it is staged and folds these across chunks afterwards.
RESENT_CUSTOMER = CIS["cis_customer"][1]
RESENT = {
    "cis/cis_customer_20260105_full.dat": [
        CIS["cis_customer"][0], RESENT_CUSTOMER, CIS["cis_customer"][2], CIS["cis_customer"][3],
        "|I|P|NOBODY KNOWN|x@y.com||1 A St||Springfield|IL|62701|00000000|20200101|20200101|00000000",
        RESENT_CUSTOMER, "|I|P|NOBODY KNOWN|x@y.com||1 A St||Springfield|IL|62701|00000000|20200101|20200101|00000000",
        "ABC|I|P|BAD ID|a@b.com||2 B St||Springfield|IL|62701|00000000|20200101|20200101|00000000",
        RESENT_CUSTOMER.replace("John.Smith@Mail.com", "john.smith@mail.com"), RESENT_CUSTOMER,
        "ABC|I|P|BAD ID|a@b.com||2 B St||Springfield|IL|62701|00000000|20200101|20200101|00000000"],
    "cis/cis_account_20260105_full.dat": [
        CIS["cis_account"][0], CIS["cis_account"][1], CIS["cis_account"][2], CIS["cis_account"][1],
        "|I|0000000002|0000000102|ACTIVE|RES-E|01|20200101|00000000", CIS["cis_account"][3],
        "|I|0000000002|0000000102|ACTIVE|RES-E|01|20200101|00000000", CIS["cis_account"][1],
        "X1|I|0000000002|0000000102|ACTIVE|RES-E|01|20200101|00000000",
        "X1|I|0000000002|0000000102|ACTIVE|RES-E|01|20200101|00000000"],
}


@pytest.mark.parametrize("backend", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_resends_in_different_chunks_are_folded_as_when_read_whole(backend: str, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                   request: pytest.FixtureRequest) -> None:
    files = [put(tmp_path / "in", name, lines(*rows)) for name, rows in RESENT.items()]
    results = []
    for streamed in (False, True):
        if backend == "duckdb":
            engine = create_engine(f"duckdb:///{tmp_path / f'w{streamed}.duckdb'}")
        else:  # a schema of its own for each load
            admin, schema = request.getfixturevalue("pg_admin"), f"uf_test_{uuid.uuid4().hex[:10]}"
            with admin.begin() as conn:
                conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
            request.addfinalizer(lambda admin=admin, schema=schema: _drop_schema(admin, schema))
            engine = create_engine(PG_URL, schema=schema)
        migrate(engine)
        if streamed:
            force_streaming(monkeypatch, chunk_rows=2, block_bytes=256)  # a record or two a chunk
        loaded = [load_file(engine, f) for f in files]
        results.append(([(r.status, r.rows_read, r.rows_loaded, r.rows_quarantined, r.rows_merged,
                          sorted(r.quarantined_by_reason.items())) for r in loaded], content(engine)))
    (whole, expected), (got, rows) = results
    assert whole == [("loaded", 10, 4, 4, 2, [("invalid_id", 2), ("missing_key", 2)]),
                     ("loaded", 9, 3, 4, 2, [("invalid_id", 2), ("missing_key", 2)])]
    assert got == whole
    assert rows == expected


def _drop_schema(admin: Engine, schema: str) -> None:
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")


@pytest.mark.parametrize("storage", ["object", "arrow"])
def test_a_rows_partition_is_the_hash_of_its_standardised_key(storage: str) -> None:
    """`batch.partitions` hashes each distinct raw key once; every row gets what hashing its own standardised key
    gives, so the rows of one service point (however its id was typed) share a partition."""
    import pyarrow as pa

    from loaders.cleanse.ids import clean_code

    typed = [" sp1", "SP1", "sp1\u00a0", "\u2003SP1", "\x1cSP1\x1f", None, "", "  ", "stra\u00dfe", "STRASSE",
             "\u0131x", "IX", "SP2", "sp2 "]
    values = typed * 3
    keys = pd.Series(values, dtype=object) if storage == "object" else pd.Series(pd.arrays.ArrowStringArray(
        pa.array(values)))
    for parts in (1, 5, 37):
        got = batch.partitions(keys, parts)
        for value, part in zip(values, got, strict=True):
            std = clean_code(pd.Series([value], dtype=object)).iloc[0]
            assert part == pd.util.hash_array(pd.Series([std or ""], dtype=object).to_numpy())[0] % parts, value
        by_std: dict[str, set[int]] = {}
        for value, part in zip(values, got, strict=True):
            by_std.setdefault(clean_code(pd.Series([value], dtype=object)).iloc[0] or "", set()).add(int(part))
        assert all(len(p) == 1 for p in by_std.values()), by_std
        assert len({*by_std}) < len(set(typed)), "the cases must include ids typed differently for one key"
    assert len(batch.partitions(pd.Series([], dtype=object), 7)) == 0
