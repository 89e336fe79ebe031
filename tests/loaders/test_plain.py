"""The fast splitter for plain delimited text (`loaders.sources.plain`) gives exactly the strict reader's
frames, and hands everything else to the strict reader (which alone reports problems and rejects)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from loaders import batch
from loaders.errors import DeliveryError
from loaders.sources import delivery, plain
from loaders.sources.delivery import parse_name
from warehouse.schema.staging import FEEDS

FEED = FEEDS["cis_tariff"]
HEADER = "|".join(FEED.columns)
ROW = "|".join(f"v{i}" for i in range(len(FEED.columns)))
EMPTY_ROW = "|" * (len(FEED.columns) - 1)

CASES = {
    "lf": f"{HEADER}\n{ROW}\n{ROW}\n",
    "crlf": f"{HEADER}\r\n{ROW}\r\n{ROW}\r\n",
    "no final newline": f"{HEADER}\n{ROW}\n{ROW}",
    "blank lines skipped": f"{HEADER}\n\n{ROW}\n\n\n{ROW}\n",
    "empty fields": f"{HEADER}\n{EMPTY_ROW}\n{ROW}\n",
    "header only": f"{HEADER}\n",
    "spaces kept": f"{HEADER}\n {ROW} \n",
    "non-ascii": f"{HEADER}\nJosé Núñez{ROW[2:]}\n",
    "wrong field count": f"{HEADER}\n{ROW}\n{ROW}|extra\n{ROW}\n",
    "whitespace-only line": f"{HEADER}\n{ROW}\n   \n{ROW}\n",
    "quoted field": f'{HEADER}\n"a|b"{ROW[2:]}\n',
    "bare carriage return": f"{HEADER}\n{ROW}\rmore\n",
}


def strict(monkeypatch: pytest.MonkeyPatch, fn, *args):  # noqa: ANN001, ANN202
    with monkeypatch.context() as m:
        m.setattr(plain, "is_plain", lambda _text: False)
        return fn(*args)


@pytest.mark.parametrize("name", CASES)
def test_fast_split_equals_strict_reader(name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    text = CASES[name]
    path = tmp_path / "cis_tariff_20261001.dat"
    fast = delivery.read_delimited(path, text, FEED, "|")
    slow = strict(monkeypatch, delivery.read_delimited, path, text, FEED, "|")
    pd.testing.assert_frame_equal(fast, slow)


def test_fast_path_is_taken_only_for_plain_text() -> None:
    assert plain.is_plain(CASES["crlf"]) and plain.is_plain(CASES["lf"])
    assert not plain.is_plain(CASES["quoted field"]) and not plain.is_plain(CASES["bare carriage return"])
    with pytest.raises(plain.NotPlain):
        plain.split_body(f"{ROW}\n{ROW}|extra\n".encode(), len(FEED.columns), "|")


def test_over_long_field_is_left_to_the_strict_reader(tmp_path: Path) -> None:
    text = f"{HEADER}\n{'x' * 200_000}{ROW[2:]}\n"
    with pytest.raises(DeliveryError, match="field larger than"):
        delivery.read_delimited(tmp_path / "cis_tariff_20261001.dat", text, FEED, "|")


@pytest.mark.parametrize("gzipped", [False, True])
@pytest.mark.parametrize("bad_at", [None, 3, 2900])
def test_streamed_split_hands_over_to_the_strict_reader_mid_file(
        gzipped: bool, bad_at: int | None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """In small blocks, a bad record after several blocks: the strict reader takes over where the fast one
    stopped, and the frames together equal the strict reader's alone (same row numbers, same reject)."""
    monkeypatch.setattr(plain, "BLOCK_BYTES", 4096)
    rows = [ROW.replace("v0", f"r{i}") for i in range(3000)]
    if bad_at is not None:
        rows[bad_at] += "|extra"
    data = (HEADER + "\r\n" + "\r\n".join(rows) + "\r\n").encode()
    path = tmp_path / ("cis_tariff_20261001.dat" + (".gz" if gzipped else ""))
    path.write_bytes(gzip.compress(data) if gzipped else data)
    encoding, is_plain = delivery.stream_encoding(path, gzipped)
    assert (encoding, is_plain) == ("utf-8", True)
    fast = list(delivery.iter_delimited(path, FEED, "|", encoding, gzipped, 700, plain_text=True))
    slow = list(delivery.iter_delimited(path, FEED, "|", encoding, gzipped, 700, plain_text=False))
    assert len(fast) > 1
    pd.testing.assert_frame_equal(pd.concat(fast, ignore_index=True), pd.concat(slow, ignore_index=True))
    flagged = pd.concat(fast)["__raw__"].notna()
    assert int(flagged.sum()) == (0 if bad_at is None else 1)


def test_plain_frames_hold_at_least_chunk_rows_records(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Blocks smaller than `chunk_rows` records are joined: a chunk's transaction that appends less than a
    DuckDB row group goes through the WAL and is written twice (the 2 M-customer snapshot's 16 MB blocks are
    114,000 records). Every record once, numbered in file order; only the last frame may be smaller."""
    monkeypatch.setattr(plain, "BLOCK_BYTES", 4096)  # ~100 records a block
    rows = [ROW.replace("v0", f"r{i}") for i in range(3000)]
    path = tmp_path / "cis_tariff_20261001.dat"
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    frames = list(delivery.iter_delimited(path, FEED, "|", "utf-8", False, 700, plain_text=True))
    assert len(frames) > 1 and all(len(f) >= 700 for f in frames[:-1]), [len(f) for f in frames]
    whole = pd.concat(frames, ignore_index=True)
    assert list(whole["source_row_number"]) == list(range(1, 3001))
    assert list(whole[FEED.columns[0]]) == [f"r{i}" for i in range(3000)]


def test_streamed_chunks_hold_whole_row_groups(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A streamed append that ends in a partial DuckDB row group leaves the next checkpoint groups to merge
    (rewriting their neighbours), and one shorter than a row group goes through the WAL: every chunk but the
    last holds whole row groups, and the last at least one. Every record once, in file order (rejects:
    `test_row_group_cuts_keep_every_record_and_its_rejects`)."""
    monkeypatch.setattr(plain, "BLOCK_BYTES", 4096)  # ~100 records a block
    monkeypatch.setattr(batch, "CHUNK_ROWS", 700)
    rows = [ROW.replace("v0", f"r{i}") for i in range(3000)]
    path = tmp_path / "cis_tariff_20261001.dat"
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")

    def chunks(row_group: int) -> list[int]:
        monkeypatch.setattr(batch, "ROW_GROUP_ROWS", row_group)
        frames = [frame for frame, _ in batch._chunks(path, parse_name(path), "utf-8", True, False)]
        whole = pd.concat(frames, ignore_index=True)
        assert list(whole["source_row_number"]) == list(range(1, 3001))
        assert list(whole[FEED.columns[0]]) == [f"r{i}" for i in range(3000)]
        return [len(frame) for frame in frames]

    apart = chunks(0)  # 0: as the reader cut them
    assert len(apart) > 2 and len(set(apart)) > 1 and all(n % 500 for n in apart), apart
    for row_group in (300, 700, 1000):
        cut = chunks(row_group)
        assert len(cut) > 1 and all(n % row_group == 0 for n in cut[:-1]), (row_group, cut)
        assert row_group <= cut[-1] < 2 * row_group + max(apart), (row_group, cut)
    assert chunks(5000) == [3000]  # fewer records than a row group: one chunk


def test_row_group_cuts_keep_every_record_and_its_rejects() -> None:
    def chunk(first: int, n: int) -> tuple[pd.DataFrame, list]:
        return pd.DataFrame({"source_row_number": range(first, first + n)}), [(first, "bad", "d", "raw")]

    def cut(*sizes: int) -> list[tuple[list[int], list[int]]]:
        chunks, first = [], 1
        for n in sizes:
            chunks.append(chunk(first, n))
            first += n
        return [(list(f["source_row_number"]), [r[0] for r in rejects])
                for f, rejects in batch._row_groups(iter(chunks), unit=10)]

    assert cut() == []
    assert cut(3) == [([1, 2, 3], [1])]
    assert cut(3, 4) == [(list(range(1, 8)), [1, 4])]
    assert cut(12, 3) == [(list(range(1, 16)), [1, 13])]
    assert cut(12, 12, 3) == [(list(range(1, 11)), [1]), (list(range(11, 28)), [13, 25])]
    assert cut(12, 12, 6) == [(list(range(1, 11)), [1]), (list(range(11, 21)), [13]), (list(range(21, 31)), [25])]
    assert cut(25, 1, 4) == [(list(range(1, 21)), [1]), (list(range(21, 31)), [26, 27])]
    # a record carried into the next chunk takes its reject along
    assert cut(15, 15) == [(list(range(1, 11)), [1]), (list(range(11, 31)), [16])]
    assert cut(14, 1, 15) == [(list(range(1, 11)), [1]), (list(range(11, 31)), [15, 16])]


def test_stream_scan_sees_quotes_and_bare_carriage_returns(tmp_path: Path) -> None:
    path = tmp_path / "cis_tariff_20261001.dat"
    path.write_bytes(f'{HEADER}\n"q"{ROW[2:]}\n'.encode())
    assert delivery.stream_encoding(path, False) == ("utf-8", False)
    path.write_bytes(f"{HEADER}\n{ROW}\rx\n".encode())
    assert delivery.stream_encoding(path, False) == ("utf-8", False)
    path.write_bytes(f"{HEADER}\n{ROW}\n".encode("utf-8-sig"))
    assert delivery.stream_encoding(path, False) == ("utf-8-sig", True)


def test_streamed_latin1_text_is_transcoded(tmp_path: Path) -> None:
    path = tmp_path / "cis_tariff_20261001.dat"
    path.write_bytes(f"{HEADER}\nJosé{ROW[2:]}\n{ROW}\n".encode("latin-1"))
    encoding, is_plain = delivery.stream_encoding(path, False)
    assert (encoding, is_plain) == ("latin-1", True)
    fast = pd.concat(delivery.iter_delimited(path, FEED, "|", encoding, False, 10, plain_text=True))
    assert fast.iloc[0, 1] == "José" and list(fast["source_row_number"]) == [1, 2]
