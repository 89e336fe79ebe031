"""One delivery file = one batch: audit row, sha256 re-delivery skip, stage, cleanse, publish, conserve.

Everything a batch writes (its audit row included) happens in ONE transaction: a crash or an error at any
point rolls back to exactly the warehouse as it was. Only a failure is then recorded, in its own short
transaction, as a `failed` audit row (the audit may record what happened; no data table changes).
The one exception is on DuckDB: a large file, and a file over AHEAD_BYTES that a run stages ahead of its turn
(`loaders.ahead`), are staged and cleansed in committed chunks (or, one that cannot be read in chunks, in a
transaction of its own) under a `running` batch and published at the end (see `_load_streamed`;
`loaders.live` keeps track of such batches and undoes a killed one).
Row conservation is checked against what the warehouse actually holds for the batch before commit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from loaders import star
from loaders.audit import file_sha256, insert_audit, new_audit, now, prior_load
from loaders.bulk import insert_frame
from loaders.cleanse.ids import clean_code
from loaders.cleanse.links import link
from loaders.cleanse.staged import Counts, cleanse_rows, cleanse_staged, fold_across_chunks, in_sql, read_part
from loaders.errors import ConservationError, DeliveryError, LoaderError
from loaders.live import discard_rows, hold, live, release
from loaders.sources import parse_file
from loaders.sources.delivery import DeliveryName, Parsed, iter_delimited, parse_name, stream_encoding, take_rejects
from loaders.sources.jsonl import NESTED, iter_jsonl
from warehouse.engine import connect_checked
from warehouse.schema.staging import FEEDS, Feed

# Delimited and JSON-lines files larger than this are staged and cleansed in bounded memory (`_load_streamed`):
# read in chunks of CHUNK_ROWS records, cleansed chunk by chunk (or, MDM reads, in partitions of about PART_BYTES
# of the file each).
STREAM_BYTES = 64 << 20
CHUNK_ROWS = 200_000
# DuckDB's row group: a chunk's transaction that appends fewer rows than this to a table writes them to the WAL
# (written again, compressed, at the next checkpoint); one that appends at least this many writes them straight
# to the database file, in row groups of this size and one partial group with the rest. Partial groups are
# merged by the next checkpoint ("vacuum", rewriting and recompressing their neighbours), so streamed chunks
# are cut at whole row groups and only a file's last chunk ends in a partial one (`_row_groups`).
ROW_GROUP_ROWS = 122_880
PART_BYTES = 24 << 20
DELIMITERS = {"pipe": "|", "csv": ",", "csv_wkt": ","}
# On DuckDB a file larger than this is staged and cleansed ahead of its turn by `loaders.ahead` (under its
# `running` audit row, like a streamed file) while earlier files publish: a delivery day's bills, payments and
# CRM interactions overlap each other's publishes. Smaller files (nearly all of the test corpora) are not worth
# the extra commits and stay one transaction each; so do files whose records nest another feed's.
AHEAD_BYTES = 1 << 20
# Feeds whose cross-row rules compare rows by a standardised key (not only exact duplicates): a streamed file
# is cleansed in partitions of that key, read back from staging (the others chunk by chunk as staged).
PARTITION_KEYS = {"mdm_interval": "service_point_id", "mdm_register": "service_point_id"}

# DuckDB commits optimistically: a batch whose transaction updates dimension rows that another job's batch
# published in the meantime (the scheduler runs jobs in threads) is refused at commit; it is run again.
_WRITE_CONFLICT = "Conflict on update"
CONFLICT_RETRIES = 2


@dataclass
class BatchResult:
    """What one file did to the warehouse."""

    file: str
    source: str
    feed: str
    status: str  # loaded | skipped | failed
    batch_id: int | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_merged: int = 0
    encoding: str | None = None
    message: str = ""
    quarantined_by_reason: dict[str, int] = field(default_factory=dict)
    duplicate_of_batch_id: int | None = None


def load_file(engine: Engine, path: Path, *, tz: str = "America/Chicago", fail_after_staging: bool = False,
              code: str | None = None, batch_id: int | None = None, staged: Staged | None = None) -> BatchResult:
    """Load one delivery file as one atomic batch. Never raises for a bad file: the result says `failed`.

    `batch_id` is an id drawn beforehand (`reserve_batch_ids`); `staged` is this file already staged and
    cleansed by `stage_ahead`, which is then only published. `fail_after_staging` exists for the atomicity
    test: it raises after staging and cleansing so the test can prove the rollback leaves no trace.
    """
    try:
        return _load_file(engine, Path(path), tz, fail_after_staging, code, batch_id, staged)
    finally:
        if staged:  # published, skipped or discarded: no longer a load in progress
            release(staged.batch_id)


def _load_file(engine: Engine, path: Path, tz: str, fail_after_staging: bool, code: str | None,
               batch_id: int | None, staged: Staged | None) -> BatchResult:
    started = now()
    # a staged file was hashed when it was staged: what is published is what was read then
    sha, size = (staged.audit["sha"], staged.audit["size"]) if staged else file_sha256(path)
    try:
        name = parse_name(path)
    except DeliveryError as e:
        return BatchResult(str(path), path.parent.name, "?", "failed", message=str(e))
    feed = name.feed
    result = BatchResult(str(path), feed.source, feed.name, "running")
    audit = staged.audit if staged else new_audit(path, name, sha, size, started, code, batch_id)
    with connect_checked(engine) as conn:
        with conn.begin():
            prior = prior_load(conn, sha, path)
            if prior is not None:
                if staged:  # an earlier copy of the same content was published while this one was staged
                    _discard_staged(conn, staged)
                result.status, result.duplicate_of_batch_id = "skipped", prior
                result.message = f"{path.name}: already loaded as batch {prior} (same sha256); skipped"
                insert_audit(conn, audit, status="skipped", finished_at=now(), message=result.message, dup=prior)
                return result
        for attempt in range(1 + CONFLICT_RETRIES):
            result = BatchResult(str(path), feed.source, feed.name, "running")
            try:
                if staged:
                    ahead, staged = staged, None  # a retry loads the file the ordinary way
                    _publish_staged(conn, result, ahead)
                elif streams(feed, size):
                    result.encoding, plain_text = stream_encoding(path, name.gzipped, has_header=feed.format != "jsonl")
                    _load_streamed(conn, result, path, name, audit, tz, fail_after_staging, plain_text)
                else:
                    _, parsed = parse_file(path)
                    result.encoding = parsed.encoding
                    with conn.begin():
                        _load_parsed(conn, result, parsed, audit, tz, fail_after_staging)
            except LoaderError as e:
                result.status, result.message = "failed", str(e)
            except Exception as e:  # a driver error or a bug: still one clear line, and the batch is rolled back
                first = str(getattr(e, "orig", None) or e).strip().splitlines()
                if attempt < CONFLICT_RETRIES and first and _WRITE_CONFLICT in first[0]:
                    continue  # nothing of the attempt was kept: run it again on the data as it is now
                result.status = "failed"
                result.message = (f"{path.name}: load failed ({type(e).__name__}: {first[0] if first else ''}); "
                                  "rolled back")
            break
        if result.status == "failed":
            with conn.begin():
                insert_audit(conn, audit, status="failed", finished_at=now(), encoding=result.encoding,
                              message=result.message[:2000])
    return result


def _load_parsed(conn: sa.Connection, result: BatchResult, parsed: Parsed, audit: dict, tz: str,
                 fail_after_staging: bool) -> None:
    batch_id = insert_audit(conn, audit, status="running", encoding=parsed.encoding)
    result.batch_id = batch_id
    counts = _stage_parsed(conn, batch_id, parsed, tz)
    if fail_after_staging:
        raise LoaderError(f"{result.file}: failing after staging on purpose (atomicity test)")
    _check_conservation(conn, result, _feed_rows(parsed), batch_id, counts.merged)
    _finish(conn, result, batch_id, parsed.rows_read, counts, audit)


def _stage_parsed(conn: sa.Connection, batch_id: int, parsed: Parsed, tz: str) -> Counts:
    """Stage and cleanse a file read whole, feed by feed; what cleansing did with its rows."""
    counts = Counts()
    for feed_name, rows in parsed.rows.items():
        _stage_rows(conn, batch_id, FEEDS[feed_name], rows, parsed.rejects.get(feed_name, []), tz, counts)
    return counts


def _stage_rows(conn: sa.Connection, batch_id: int, feed: Feed, rows: pd.DataFrame,
                rejects: list[tuple[int, str, str, str]], tz: str, counts: Counts, chunk: bool = False) -> None:
    """Stage `rows` (a file's, or one `chunk` of a streamed file's) and cleanse them; `rejects` are the records
    among them that did not split into fields."""
    staged = rows.copy()
    staged.insert(0, "batch_id", batch_id)
    insert_frame(conn, feed.staging_table, staged[["batch_id", "source_row_number", *feed.columns]])
    rejected = {r[0] for r in rejects}
    if in_sql(conn, feed.name):
        numbers = rows["source_row_number"]
        span = (int(numbers.min()), int(numbers.max())) if chunk else None
        cleanse_staged(conn, batch_id, feed.name, None, rejected, rejects, tz, counts, row_span=span)
    else:
        cleanse_rows(conn, batch_id, feed.name, rows[~rows["source_row_number"].isin(rejected)], rows, rejects,
                      tz, counts)


def _feed_rows(parsed: Parsed) -> dict[str, int]:
    return {f: len(rows) for f, rows in parsed.rows.items()}


def _load_streamed(conn: sa.Connection, result: BatchResult, path: Path, name: DeliveryName, audit: dict,
                   tz: str, fail_after_staging: bool, plain_text: bool = False) -> None:
    """A large delimited file in bounded memory, with exactly the result of `_load_parsed`.

    Most feeds' only cross-row rule is folding exact re-sends: their chunks are cleansed as they are staged
    and the re-sends between chunks folded at the end (`_cleanse_each_chunk`). MDM reads compare rows by
    service point (superseded re-sends, DST and meter-day repairs): pass 1 stages their records chunk by
    chunk, noting each row's partition (a hash of the standardised service point), and pass 2 cleanses one
    partition at a time, read back from staging in file order, so those rules see all their rows.

    Atomicity: on PostgreSQL (which spills a large transaction to disk) the batch is one transaction. DuckDB
    holds a transaction's appended rows in memory (~550 bytes per row measured: several GB for one
    utility-scale interval file), so there each chunk and partition commits on its own under the batch's
    `running` audit row, which every reader ignores, and one last transaction checks conservation,
    publishes to the star and marks the batch `loaded`. A failure deletes the batch's rows; a load killed
    outright is undone by `discard_interrupted` before the next load.
    """
    chunked = conn.engine.dialect.name == "duckdb"

    def unit() -> Any:  # one unit of work: its own transaction when chunked, else part of the batch's one
        return conn.begin() if chunked else nullcontext()

    with live() as register_live, nullcontext() if chunked else conn.begin():
        with unit():
            batch_id = insert_audit(conn, audit, status="running", encoding=result.encoding)
            register_live(batch_id)  # before its `running` row is visible to another thread's discard_interrupted
        result.batch_id = batch_id
        try:
            n_read, counts = _stage_and_cleanse(conn, unit, result, path, name, tz, plain_text, batch_id)
            with unit():
                if fail_after_staging:
                    raise LoaderError(f"{result.file}: failing after staging on purpose (atomicity test)")
                _check_conservation(conn, result, {name.feed.name: n_read}, batch_id, counts.merged)
                _finish(conn, result, batch_id, n_read, counts, audit)
        except BaseException:
            if chunked:
                with conn.begin():
                    _discard_batch(conn, name.feed.name, batch_id)
            raise


def _stage_and_cleanse(conn: sa.Connection, unit: Callable[[], Any], result: BatchResult, path: Path,
                       name: DeliveryName, tz: str, plain_text: bool, batch_id: int) -> tuple[int, Counts]:
    """Pass 1 and pass 2 of `_load_streamed`: the rows read and what cleansing did with them."""
    feed = name.feed
    if feed.name not in PARTITION_KEYS:
        return _cleanse_each_chunk(conn, unit, result, path, name, tz, plain_text, batch_id)
    parts = max(1, -(-path.stat().st_size // PART_BYTES))
    with unit():
        conn.execute(sa.text("DROP TABLE IF EXISTS uf_part"))
        conn.execute(sa.text("CREATE TEMPORARY TABLE uf_part (source_row_number BIGINT, part INTEGER)"))
    rejects: list[tuple[int, str, str, str]] = []
    n_read = 0
    for chunk, chunk_rejects in _chunks(path, name, str(result.encoding), plain_text, in_sql(conn, feed.name)):
        rejects += chunk_rejects
        chunk.insert(0, "batch_id", batch_id)
        with unit():
            insert_frame(conn, feed.staging_table, chunk[["batch_id", "source_row_number", *feed.columns]])
            insert_frame(conn, "uf_part", pd.DataFrame({"source_row_number": chunk["source_row_number"],
                                                        "part": partitions(chunk[PARTITION_KEYS[feed.name]], parts)}))
        n_read += len(chunk)
    rejected = {r[0] for r in rejects}
    counts = Counts()
    for part in range(parts):
        with unit():
            if in_sql(conn, feed.name):
                cleanse_staged(conn, batch_id, feed.name, part, rejected, rejects if part == 0 else [], tz, counts)
                continue
            rows = read_part(conn, feed.staging_table, ["source_row_number", *feed.columns], batch_id, part)
            good = rows[~rows["source_row_number"].isin(rejected)]
            cleanse_rows(conn, batch_id, feed.name, good, rows, rejects if part == 0 else [], tz, counts)
    with unit():
        conn.execute(sa.text("DROP TABLE uf_part"))
    return n_read, counts


def partitions(keys: pd.Series, parts: int) -> np.ndarray:
    """Each row's partition of `parts`: a hash of its standardised key (`clean_code`, a missing one as ''),
    so that every row of one service point lands in one partition. Computed once per distinct raw key: a
    chunk of ~300 k interval reads has a few thousand (per row, the 10.7 M reads of the 2 M month cost ~6 s)."""
    codes, distinct = pd.factorize(keys)  # a missing key is code -1: the '' appended last
    std = clean_code(pd.Series(distinct)).fillna("").astype(str).to_numpy(dtype=object)
    hashed = pd.util.hash_array(np.append(std, ""))
    return (hashed[codes] % parts).astype("int64")


def _cleanse_each_chunk(conn: sa.Connection, unit: Callable[[], Any], result: BatchResult, path: Path,
                        name: DeliveryName, tz: str, plain_text: bool, batch_id: int) -> tuple[int, Counts]:
    """`_stage_and_cleanse` of a feed whose only cross-row rule is folding exact re-sends (every feed but those
    in PARTITION_KEYS): each chunk is cleansed as it is staged, from the frame the parser gave (as a file read
    whole is), so nothing is read back; then one pass folds the re-sends that fell in different chunks."""
    feed, counts, n_read = name.feed, Counts(), 0
    for chunk, rejects in _chunks(path, name, str(result.encoding), plain_text, in_sql(conn, feed.name)):
        with unit():
            _stage_rows(conn, batch_id, feed, chunk, rejects, tz, counts, chunk=True)
        n_read += len(chunk)
    with unit():
        fold_across_chunks(conn, batch_id, feed.name, counts)
    return n_read, counts


def streams(feed: Feed, size: int) -> bool:
    """Whether a file of `size` bytes is read in chunks (`_load_streamed`): a large one of a feed that can be."""
    return size > STREAM_BYTES and _streams_in_chunks(feed)


def _streams_in_chunks(feed: Feed) -> bool:
    """Whether the feed's files can be read in chunks: delimited, or JSON lines whose records nest no others."""
    return feed.format in DELIMITERS or feed.format == "jsonl" and feed.name not in NESTED


Chunk = tuple[pd.DataFrame, list[tuple[int, str, str, str]]]  # records, and those that did not split into fields


def _chunks(path: Path, name: DeliveryName, encoding: str, plain_text: bool, arrow: bool) -> Iterator[Chunk]:
    """A streamed file's records in frames, each with its rejects (records that could not be split into
    fields: staged empty, then quarantined). `arrow`: a feed cleansed in SQL only stages its text, which
    then stays in Arrow on its way to the warehouse."""
    feed = name.feed
    if feed.format == "jsonl":
        yield from _row_groups(iter_jsonl(path, feed, encoding, name.gzipped, CHUNK_ROWS), ROW_GROUP_ROWS)
        return
    frames = iter_delimited(path, feed, DELIMITERS[feed.format], encoding, name.gzipped, CHUNK_ROWS, plain_text,
                            arrow=arrow)
    for chunk, _ in _row_groups(((frame, []) for frame in frames), ROW_GROUP_ROWS):
        yield chunk, take_rejects(chunk, "wrong_field_count")


def _row_groups(chunks: Iterator[Chunk], unit: int) -> Iterator[Chunk]:
    """`chunks` re-cut so that every chunk but the last holds a whole number of row groups (`unit` records) and
    the last at least one when the file has that many (see ROW_GROUP_ROWS). Records and their rejects keep
    their order; a chunk is held back until the next arrives, so the last row group's remainder can join it.
    `unit` 0 leaves the chunks as they are."""
    if unit <= 0:
        yield from chunks
        return
    held: Chunk | None = None
    frames: list[pd.DataFrame] = []
    rejects: list[tuple[int, str, str, str]] = []
    for frame, chunk_rejects in chunks:
        frames.append(frame)
        rejects += chunk_rejects
        rows = sum(len(f) for f in frames)
        if rows < unit:
            continue
        buffer = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        cut = rows - rows % unit
        whole, rest = buffer.iloc[:cut], buffer.iloc[cut:].reset_index(drop=True)
        last = int(whole["source_row_number"].iloc[-1])
        if held is not None:
            yield held
        held = whole, [r for r in rejects if r[0] <= last]
        frames, rejects = ([rest] if len(rest) else []), [r for r in rejects if r[0] > last]
    if held is None:
        if frames:
            yield pd.concat(frames, ignore_index=True), rejects
    elif frames:
        yield pd.concat([held[0], *frames], ignore_index=True), held[1] + rejects
    else:
        yield held


@dataclass
class Staged:
    """A file staged and cleansed ahead of its turn under its `running` batch (`stage_ahead`)."""

    name: DeliveryName
    audit: dict
    batch_id: int
    encoding: str
    rows_read: int
    counts: Counts
    feed_rows: dict[str, int]  # rows staged per feed, for the conservation check


def stages_ahead(engine: Engine, path: Path) -> bool:
    """Whether `stage_ahead` takes this file, on DuckDB: one that `_load_streamed` loads in committed chunks
    anyway, or any over AHEAD_BYTES whose records nest no other feed's (staged early in transactions of its
    own, so none is held open across other files' loads)."""
    try:
        name = parse_name(Path(path))
    except DeliveryError:
        return False
    size = Path(path).stat().st_size
    return engine.dialect.name == "duckdb" and (streams(name.feed, size) or
                                                size > AHEAD_BYTES and name.feed.name not in NESTED)


class StageStopped(Exception):
    """The run stopped (Ctrl-C, an error, its last file done) while this file was being staged ahead."""


def stage_ahead(engine: Engine, path: Path, *, tz: str = "America/Chicago", batch_id: int | None = None,
                code: str | None = None, stop: threading.Event | None = None) -> Staged | None:
    """Stage and cleanse a file (`stages_ahead`) now, on a connection of its own, while earlier
    deliveries are still loading; `load_file(..., staged=)` publishes it at its turn, so the star still
    sees deliveries in order. Staging and cleansing read nothing but the batch's own rows, which is what
    makes this safe; until published the batch is `running` and every reader skips it.

    Returns None where there is nothing to gain or something to report — the content was already loaded,
    the file does not parse, a driver error: `load_file` then loads the file the ordinary way and reports
    what happens exactly as it always does.

    Once `stop` is set the file is given up before its next chunk, partition or whole-file transaction (and
    discarded, returning None): a run stopped by Ctrl-C waits for one such unit, not for the rest of a file
    that takes minutes."""
    path = Path(path)
    started = now()
    sha, size = file_sha256(path)
    name = parse_name(path)
    audit = new_audit(path, name, sha, size, started, code, batch_id)
    result = BatchResult(str(path), name.feed.source, name.feed.name, "running")
    with connect_checked(engine) as conn:
        with conn.begin():
            if prior_load(conn, sha, path) is not None:
                return None
        chunked = _streams_in_chunks(name.feed)  # else read whole (lockbox trailers, ESPI XML)
        try:
            if chunked:
                result.encoding, plain_text = stream_encoding(path, name.gzipped,
                                                              has_header=name.feed.format != "jsonl")
            else:
                _, parsed = parse_file(path)
                result.encoding = parsed.encoding
        except LoaderError:
            return None
        with conn.begin():
            staged_id = insert_audit(conn, audit, status="running", encoding=result.encoding)
            hold(staged_id)

        def unit() -> Any:  # one committed unit of the staging, begun only while the run goes on
            if stop is not None and stop.is_set():
                raise StageStopped(f"{path.name}: the run stopped; staging ahead given up")
            return conn.begin()
        try:
            if chunked:
                n_read, counts = _stage_and_cleanse(conn, unit, result, path, name, tz, plain_text, staged_id)
                feed_rows = {name.feed.name: n_read}
            else:
                with unit():
                    counts = _stage_parsed(conn, staged_id, parsed, tz)
                n_read, feed_rows = parsed.rows_read, _feed_rows(parsed)
        except BaseException as e:  # an error is reported by the ordinary load at the file's turn
            with conn.begin():
                _discard_batch(conn, name.feed.name, staged_id)
            release(staged_id)
            if not isinstance(e, Exception):
                raise
            return None
    return Staged(name, {**audit, "batch_id": staged_id}, staged_id, str(result.encoding), n_read, counts, feed_rows)


def _publish_staged(conn: sa.Connection, result: BatchResult, staged: Staged) -> None:
    """The last transaction of `_load_streamed` for a file `stage_ahead` staged: conservation, star, `loaded`."""
    result.batch_id, result.encoding = staged.batch_id, staged.encoding
    try:
        with conn.begin():
            _check_conservation(conn, result, staged.feed_rows, staged.batch_id, staged.counts.merged)
            _finish(conn, result, staged.batch_id, staged.rows_read, staged.counts, staged.audit)
    except BaseException:
        with conn.begin():
            _discard_staged(conn, staged)
        raise


def discard_staged(engine: Engine, staged: Staged) -> None:
    """Undo a `stage_ahead` that will not be published (the run stopped before its turn)."""
    with connect_checked(engine) as conn, conn.begin():
        _discard_staged(conn, staged)
    release(staged.batch_id)


def _discard_staged(conn: sa.Connection, staged: Staged) -> None:
    _discard_batch(conn, staged.name.feed.name, staged.batch_id)


def _discard_batch(conn: sa.Connection, feed: str, batch_id: int) -> None:
    """Delete a not-published batch: its rows and its audit row (its file loads again, under the same id)."""
    discard_rows(conn, feed, batch_id)
    conn.execute(sa.text("DELETE FROM dim_batch WHERE batch_id = :b"), {"b": batch_id})


def _finish(conn: sa.Connection, result: BatchResult, batch_id: int, rows_read: int, counts: Counts,
            audit: dict) -> None:
    link(conn, result.feed, batch_id)  # repairs from other feeds' published rows, published with the batch
    # versions take effect when they are published, not when the load began: a long load publishing after a
    # shorter one that started later must not close that one's versions before they began
    star.publish(conn, result.feed, batch_id, now())
    loaded, quarantined, merged = counts.loaded, counts.quarantined, counts.merged
    result.rows_read, result.rows_loaded = rows_read, loaded
    result.rows_quarantined, result.rows_merged = quarantined, merged
    result.quarantined_by_reason = counts.reasons
    result.status = "loaded"
    result.message = f"{result.rows_read} read, {loaded} loaded, {quarantined} quarantined, {merged} merged"
    conn.execute(sa.text(
        "UPDATE dim_batch SET rows_read = :r, rows_loaded = :l, rows_quarantined = :q, rows_merged = :m, "
        "status = 'loaded', finished_at = :f, message = :msg WHERE batch_id = :b"),
        {"r": result.rows_read, "l": loaded, "q": quarantined, "m": merged, "f": now(), "msg": result.message,
         "b": batch_id})


def _check_conservation(conn: sa.Connection, result: BatchResult, parsed_counts: dict[str, int], batch_id: int,
                        merged: int) -> None:
    """rows_read = rows_loaded + rows_quarantined + rows_merged, counted in the warehouse, per feed."""
    for feed_name, n_parsed in parsed_counts.items():
        def count(sql: str, feed_name: str = feed_name) -> int:
            return int(conn.execute(sa.text(sql), {"b": batch_id, "f": feed_name}).scalar_one())
        staged = count(f"SELECT COUNT(*) FROM stg_{feed_name} WHERE batch_id = :b")
        loaded = count(f"SELECT COUNT(*) FROM cln_{feed_name} WHERE batch_id = :b")
        quarantined = count("SELECT COUNT(*) FROM quarantine WHERE batch_id = :b AND feed = :f")
        if staged != n_parsed:
            raise ConservationError(f"{result.file}: {n_parsed} records parsed but {staged} staged")
        result.rows_merged = merged
        feed_merged = staged - loaded - quarantined
        if feed_merged < 0:
            raise ConservationError(f"{result.file}: {feed_name} has more rows out ({loaded + quarantined}) "
                                    f"than read ({staged})")
        merged -= feed_merged
    if merged != 0:
        raise ConservationError(f"{result.file}: rows_read != rows_loaded + rows_quarantined + rows_merged "
                                f"(off by {merged}); the batch was rolled back")
