"""Stage large deliveries ahead of their turn, so that a run keeps both cores of a small machine busy.

A run loads its files one after the other, yet most of a large file's time (parsing, staging, cleansing)
touches only that file's own batch: nothing it reads depends on the deliveries before it. `StageAhead` keeps
one worker thread staging the next large file (`loaders.batch.stage_ahead`, its own DuckDB connection) while
the run loads the files before it; when the run reaches a file the worker still has, it stages the large file
after that one itself instead of waiting idle. The GIL is no obstacle: staging is mostly Arrow parsing and
DuckDB work, which release it.

What a one-at-a-time run guarantees still holds:
- files are published in delivery order, each by `load_file` at its turn (a dimension version and a fact
  row see the deliveries before them, and a re-delivery staged early is skipped when its turn comes);
- batch ids follow delivery order: they are drawn from the sequence in that order before a later file is
  staged early (`reserve_batch_ids`), and the star takes a key's latest row by batch id;
- until it is published a staged batch is `running`, which every reader skips; a run that stops early
  discards what it staged, and a killed one leaves `running` batches that the next run discards
  (`loaders.batch.discard_interrupted`).
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from sqlalchemy.engine import Engine

from loaders.batch import BatchResult, Staged, discard_staged, load_file, reserve_batch_ids, stage_ahead, stages_ahead


class StageAhead:
    """Loads `files` in order (`load(i)` for i = 0, 1, ...), staging large ones ahead (see the module doc)."""

    def __init__(self, engine: Engine, files: list[Path], tz: str) -> None:
        self.engine, self.files, self.tz = engine, files, tz
        self.large = [i for i, f in enumerate(files) if stages_ahead(engine, f)]
        self.ids: dict[int, int] = {}  # batch ids drawn for files not loaded yet, by position
        self.drawn_to = -1
        self.worker: ThreadPoolExecutor | None = None
        self.working: dict[int, Future[Staged | None]] = {}
        self.staged: dict[int, Staged | None] = {}

    def load(self, i: int) -> BatchResult:
        """Load file `i`; every file before it has been loaded."""
        self._keep_worker_busy(i)
        staged = self._staged(i)
        return load_file(self.engine, self.files[i], tz=self.tz, batch_id=self.ids.pop(i, None), staged=staged)

    def close(self) -> None:
        """Wait for the worker and undo whatever was staged and not published (a run that stopped early)."""
        if self.worker:
            self.worker.shutdown(wait=True)
        leftovers = [*self.staged.values(), *(_result(f) for f in self.working.values())]
        self.staged, self.working = {}, {}
        for staged in leftovers:
            if staged is not None:
                discard_staged(self.engine, staged)

    def _next_large(self, i: int) -> int | None:
        """The first large file after `i` that nobody has started."""
        return next((k for k in self.large if k > i and k not in self.working and k not in self.staged), None)

    def _draw_ids(self, upto: int, i: int) -> None:
        """Draw batch ids for files `i`..`upto` in delivery order (those not drawn yet)."""
        first = max(self.drawn_to + 1, i)
        for k, batch_id in zip(range(first, upto + 1), reserve_batch_ids(self.engine, upto + 1 - first), strict=True):
            self.ids[k] = batch_id
        self.drawn_to = max(self.drawn_to, upto)

    def _keep_worker_busy(self, i: int) -> None:
        if any(not f.done() for f in self.working.values()):
            return
        k = self._next_large(i)
        if k is None:
            return
        self._draw_ids(k, i)
        self.worker = self.worker or ThreadPoolExecutor(1, thread_name_prefix="stage-ahead")
        self.working[k] = self.worker.submit(stage_ahead, self.engine, self.files[k], tz=self.tz,
                                             batch_id=self.ids[k])

    def _staged(self, i: int) -> Staged | None:
        """File `i` as staged ahead (None: load it the ordinary way), staging later large files here while the
        worker finishes it."""
        if i in self.staged:
            return self.staged.pop(i)
        future = self.working.pop(i, None)
        if future is None:
            return None
        while not future.done():
            k = self._next_large(i)
            if k is None:
                break
            self._draw_ids(k, i)
            self.staged[k] = stage_ahead(self.engine, self.files[k], tz=self.tz, batch_id=self.ids[k])
        return _result(future)


def _result(future: Future[Staged | None]) -> Staged | None:
    try:
        return future.result()
    except Exception:  # noqa: BLE001 - the ordinary load at the file's turn reports it
        return None
