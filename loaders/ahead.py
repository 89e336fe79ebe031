"""Stage deliveries ahead of their turn, so that a run keeps both cores of a small machine busy.

A run loads its files one after the other, yet most of a file's time (parsing, staging, cleansing)
touches only that file's own batch: nothing it reads depends on the deliveries before it. `StageAhead` keeps
a worker thread staging the next files it can stage (`loaders.batch.stages_ahead`: the streamed ones and any
over 1 MB but outages, not the small rest) on its own DuckDB connection (`loaders.batch.stage_ahead`) while
the run loads the files before them; when the run reaches a file the worker still has, it stages the next
such file itself instead of waiting idle. The GIL is no obstacle: staging is mostly Arrow parsing and
DuckDB work, which release it.

What a one-at-a-time run guarantees still holds:
- files are published in delivery order, each by `load_file` at its turn (a dimension version and a fact
  row see the deliveries before them, and a re-delivery staged early is skipped when its turn comes);
- batch ids follow delivery order: every file's id is drawn from the sequence, in delivery order, before
  anything is staged (`reserve_batch_ids`), and the star takes a key's latest row by batch id;
- until it is published a staged batch is `running`, which every reader skips; a run that stops early
  discards what it staged, and a killed one leaves `running` batches that the next run discards
  (`loaders.live.discard_interrupted`). A stopping run (Ctrl-C, an error) does not wait for the worker to
  finish its file: the worker gives it up before its next committed chunk or partition.
"""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy.engine import Engine

from loaders.audit import reserve_batch_ids
from loaders.batch import BatchResult, Staged, discard_staged, load_file, stage_ahead, stages_ahead

# Files the worker has staged that are not yet published: enough to never leave it idle for long, few
# enough that a run stopped early has little to discard. Files the run's thread staged itself while it waited
# for the worker do not count: they are the run's own work, not the worker's lead, and counting them idled the
# worker for 32 s of the 2 M-customer month's day 1 (it waited for the run to publish eight of them).
BACKLOG = 4


class StageAhead:
    """Loads `files` in order (`load(i)` for i = 0, 1, ...), staging those it can ahead (see the module doc)."""

    def __init__(self, engine: Engine, files: list[Path], tz: str) -> None:
        self.engine, self.files, self.tz = engine, files, tz
        self.stageable = [i for i, f in enumerate(files) if stages_ahead(engine, f)]
        self.ids: list[int | None] = [None] * len(files)
        self.position = -1  # the file the run is loading
        self.claimed: set[int] = set()  # stageable files someone has started staging
        self.staged: dict[int, Staged | None] = {}  # ... and finished (None: load it the ordinary way)
        self.by_worker: set[int] = set()  # the files in `staged` that the worker staged
        self.changed = threading.Condition()
        self.closing = False
        self.stopping = threading.Event()  # set by close(): a file being staged is given up at its next unit
        self.worker: threading.Thread | None = None

    def load(self, i: int) -> BatchResult:
        """Load file `i`; every file before it has been loaded."""
        if self.stageable and self.worker is None:
            self.ids = list(reserve_batch_ids(self.engine, len(self.files)))
            self.worker = threading.Thread(target=self._work, name="stage-ahead", daemon=True)
            self.worker.start()
        with self.changed:
            self.position = i
            ahead = i in self.claimed
            self.claimed.add(i)  # not started ahead: the run loads it the ordinary way
            self.changed.notify_all()
        staged = self._staged(i) if ahead else None
        return load_file(self.engine, self.files[i], tz=self.tz, batch_id=self.ids[i], staged=staged)

    def close(self) -> None:
        """Stop the worker and undo whatever was staged and not published (a run that stopped early)."""
        self.stopping.set()
        with self.changed:
            self.closing = True
            self.changed.notify_all()
        if self.worker:
            self.worker.join()
        leftovers, self.staged = list(self.staged.values()), {}
        for staged in leftovers:
            if staged is not None:
                discard_staged(self.engine, staged)

    def _claim(self) -> int | None:
        """The first stageable file after the run's position that nobody has started, now claimed (hold the lock)."""
        k = next((k for k in self.stageable if k > self.position and k not in self.claimed), None)
        if k is not None:
            self.claimed.add(k)
        return k

    def _stage(self, k: int) -> None:
        staged = None  # however staging ends, file k gets an entry: the run may be waiting for it
        try:
            staged = stage_ahead(self.engine, self.files[k], tz=self.tz, batch_id=self.ids[k], stop=self.stopping)
        except Exception:  # noqa: BLE001, S110 - the ordinary load at the file's turn reports it
            pass
        finally:
            with self.changed:
                self.staged[k] = staged
                if threading.current_thread() is self.worker:
                    self.by_worker.add(k)
                self.changed.notify_all()

    def _work(self) -> None:
        while True:
            with self.changed:
                self.changed.wait_for(lambda: self.closing or len(self.by_worker) < BACKLOG)
                k = None if self.closing else self._claim()
            if k is None:
                return
            self._stage(k)

    def _staged(self, i: int) -> Staged | None:
        """File `i` as staged ahead (None: load it the ordinary way); while the worker is still staging it, the
        run stages later stageable files itself rather than wait idle."""
        while True:
            with self.changed:
                if i in self.staged:
                    return self._take(i)
                k = self._claim()
                if k is None:
                    self.changed.wait_for(lambda: i in self.staged)
                    return self._take(i)
            self._stage(k)

    def _take(self, i: int) -> Staged | None:
        """File `i`'s staging, removed from the backlog (hold the lock)."""
        self.by_worker.discard(i)
        self.changed.notify_all()  # the worker may stage another
        return self.staged.pop(i)
