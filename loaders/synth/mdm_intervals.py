"""S2 MDM: the daily interval CSV (timestamp = END of interval, local wall time plus its UTC offset).

Values are integers in milli-units (Wh, milli-CCF) in numpy matrices of meters x intervals, one chunk of
meters at a time; strings are made column-wise by pyarrow. Meter-day defects are mutually exclusive (one
categorical draw per meter and day), so every affected row has exactly one cause.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pyarrow as pa

from loaders.synth import formats as F
from loaders.synth.clock import LOAD_SHAPE, Grid, grid
from loaders.synth.defects import DefectLog, rate
from loaders.synth.formats import Deliveries
from loaders.synth.mdm import UNIT, MdmState, serials, sp_ids
from loaders.synth.params import GenerateParams, rng
from loaders.synth.world import World
from warehouse.schema.staging import FEEDS

CHUNK = 5_000  # meters per chunk: ~500k rows, ~150 MB of text at a time
# interval meter-day classes, in categorical order (0 = none)
CLASSES = (
    "mdm.gap",
    "mdm.duplicate",
    "mdm.spike",
    "mdm.zero_run",
    "mdm.negative",
    "mdm.flat_line",
    "mdm.start_of_interval",
    "mdm.unit_mixup",
)
# the unit actually delivered by a unit mix-up, as a factor on the true value: Wh, therms, gallons
MIXUP_FACTOR = np.array([1000.0, 1.037, 748.0])
INTERVAL_KEY = ("service_point_id", "channel", "interval_end_local", "utc_offset")


def _meter_day_classes(world: World, params: GenerateParams, d: int, r: np.random.Generator) -> np.ndarray:
    p = np.array([rate(params, c, d) for c in CLASSES])
    if p.sum() > 1:
        p = p / p.sum()
    cls = np.searchsorted(np.cumsum(p), r.random(world.n_sps), side="right") + 1
    cls[cls > len(CLASSES)] = 0
    zero = CLASSES.index("mdm.zero_run") + 1
    cls[(cls == zero) & (world.sp_commodity != 0)] = 0  # zero runs only on electric (96-interval rule)
    cls[(world.sp_exchange_day == d) | world.sp_removed] = 0
    return cls


def write_intervals(
    world: World,
    params: GenerateParams,
    d: int,
    deliveries: Deliveries,
    log: DefectLog,
    state: MdmState,
    usage: np.ndarray,
    removed_read: np.ndarray,
) -> dict[int, np.ndarray]:
    """Write day d's interval file; returns the clean Wh values of the first electric meters (for ESPI)."""
    day = params.dates[d]
    feed = FEEDS["mdm_interval"]
    r = rng(params.seed, "mdm_interval", d)
    cls = _meter_day_classes(world, params, d, r)
    u1, u2, u3 = r.random(world.n_sps), r.random(world.n_sps), r.random(world.n_sps)
    received = f"{day + timedelta(days=1)}T02:00:00"
    espi: dict[int, np.ndarray] = {}
    with deliveries.open("mdm", "mdm_interval", day, "csv") as sink:
        sink.header(feed.columns, ",")
        for minutes, commodities in ((15, (0,)), (60, (1, 2))):
            g = grid(day, minutes)
            eligible = np.isin(world.sp_commodity, commodities) & (state.sample | removed_read)
            sps = np.nonzero(eligible)[0]
            for lo in range(0, len(sps), CHUNK):
                chunk = sps[lo : lo + CHUNK]
                clean = _chunk(
                    world,
                    params,
                    d,
                    g,
                    chunk,
                    cls[chunk],
                    (u1[chunk], u2[chunk], u3[chunk]),
                    sink,
                    log,
                    state,
                    usage,
                    received,
                )
                if minutes == 15 and not espi:
                    espi = {int(s): clean[i] for i, s in enumerate(chunk[:25]) if not world.sp_removed[s]}
        _backfill(world, params, d, sink, log, state)
    return espi


def _chunk(
    world: World,
    params: GenerateParams,
    d: int,
    g: Grid,
    sps: np.ndarray,
    cls: np.ndarray,
    u: tuple[np.ndarray, np.ndarray, np.ndarray],
    sink: F.Sink,
    log: DefectLog,
    state: MdmState,
    usage: np.ndarray,
    received: str,
) -> np.ndarray:
    m, n = len(sps), g.n
    r = rng(params.seed, "mdm_values", d, g.minutes, int(sps[0]))
    w = LOAD_SHAPE[g.hour][None, :] * (0.7 + 0.6 * r.random((m, n)))
    true = np.floor(usage[sps][:, None] * w / w.sum(axis=1, keepdims=True)).astype(np.int64) + 1
    vals = true.copy()
    start_stamp = np.zeros((m, n), bool)
    keep = np.ones((m, n), bool)
    rows_i = np.arange(m)
    pos = np.minimum((u[0] * n).astype(np.int64), n - 1)
    c = {name: np.nonzero(cls == i + 1)[0] for i, name in enumerate(CLASSES)}
    i = c["mdm.spike"]
    vals[i, pos[i]] = true[i, pos[i]] * (8 + (u[1][i] * 12).astype(np.int64)) + 1000
    vals[c["mdm.zero_run"]] = 0
    i = c["mdm.negative"]
    vals[i, pos[i]] = -true[i, pos[i]]
    i = c["mdm.flat_line"]
    fstart = np.minimum(pos[i], n - 12)
    flat_cells = (np.repeat(i, 12), (fstart[:, None] + np.arange(12)).ravel())
    vals[flat_cells] = np.repeat(true[i, fstart], 12)
    start_stamp[c["mdm.start_of_interval"]] = True
    i = c["mdm.unit_mixup"]
    vals[i] = np.round(true[i] * MIXUP_FACTOR[world.sp_commodity[sps[i]]][:, None]).astype(np.int64)
    i = c["mdm.gap"]
    glen = 1 + (u[1][i] * 8).astype(np.int64)
    gstart = np.minimum(pos[i], n - glen)
    gap_cells = (
        np.repeat(i, glen),
        np.concatenate([s + np.arange(k) for s, k in zip(gstart, glen, strict=True)])
        if len(i)
        else np.zeros(0, np.int64),
    )
    keep[gap_cells] = False
    # which serial each cell is read under: exchanged meters switch at the middle of the day
    which = np.zeros((m, n), np.int8)
    which[(world.sp_exchange_day[sps] >= 0) & (world.sp_exchange_day[sps] < d)] = 2
    ex = np.nonzero(world.sp_exchange_day[sps] == d)[0]
    which[ex, n // 2 :] = 2

    # duplicates: 1-4 cells of the meter-day re-sent at the end of the chunk, half with a new value
    i = c["mdm.duplicate"]
    dn = 1 + (u[1][i] * 4).astype(np.int64)
    dup_i = np.repeat(i, dn)
    dup_k = (
        np.concatenate([(p + np.arange(k)) % n for p, k in zip(pos[i], dn, strict=True)])
        if len(i)
        else np.zeros(0, np.int64)
    )
    conflict = u[2][dup_i] < 0.5
    dup_val = np.where(conflict, (true[dup_i, dup_k] * 1.1).astype(np.int64) + 1, vals[dup_i, dup_k])

    flat_keep = keep.ravel()
    row_no = sink.rows + np.cumsum(flat_keep)  # 1-based row of every kept cell
    cell_i = np.concatenate([np.repeat(rows_i, n)[flat_keep], dup_i])
    cell_k = np.concatenate([np.tile(np.arange(n), m)[flat_keep], dup_k])
    cell_v = np.concatenate([vals.ravel()[flat_keep], dup_val])
    cell_s = np.concatenate([start_stamp.ravel()[flat_keep], start_stamp[dup_i, dup_k]])
    cell_w = np.concatenate([which.ravel()[flat_keep], which[dup_i, dup_k]])
    _emit(world, g, sps[cell_i], cell_k, cell_v, cell_s, cell_w, received, sink)
    dup_rows = sink.rows - len(dup_i) + 1 + np.arange(len(dup_i))

    def cell_rows(ii: np.ndarray, kk: np.ndarray) -> np.ndarray:
        return row_no[ii * n + kk]

    def keys(ii: np.ndarray, kk: np.ndarray, stamps: pa.Array | None = None) -> list[list[str]]:
        ts = g.end_local.take(pa.array(kk)).to_pylist() if stamps is None else stamps.to_pylist()
        off = g.end_offset.take(pa.array(kk)).to_pylist()
        return [[s, "1", t, o] for s, t, o in zip(sp_ids(sps[ii]).to_pylist(), ts, off, strict=True)]

    def record(name: str, ii: np.ndarray, kk: np.ndarray, **extra: Any) -> None:
        if not len(ii):
            return
        _, first = np.unique(ii, return_index=True)
        ev = np.repeat(state.next_event(name, len(first)), np.diff(np.append(first, len(ii))))
        log.add(
            name,
            file=sink.rel,
            feed="mdm_interval",
            column="value",
            key_fields=INTERVAL_KEY,
            rows=cell_rows(ii, kk),
            keys=keys(ii, kk),
            delivered=F.decimal(vals[ii, kk]).to_pylist(),
            clean=F.decimal(true[ii, kk]).to_pylist(),
            event=ev,
            **extra,
        )  # type: ignore[arg-type]

    for name in ("mdm.spike", "mdm.negative"):
        i = c[name]
        record(name, i, pos[i])
    record("mdm.flat_line", *flat_cells)
    for name in ("mdm.zero_run", "mdm.unit_mixup"):
        i = c[name]
        record(name, np.repeat(i, n), np.tile(np.arange(n), len(i)))
    i = c["mdm.start_of_interval"]
    ii, kk = np.repeat(i, n), np.tile(np.arange(n), len(i))
    if len(ii):
        _, first = np.unique(ii, return_index=True)
        log.add(
            "mdm.start_of_interval",
            file=sink.rel,
            feed="mdm_interval",
            column="interval_end_local",
            key_fields=INTERVAL_KEY,
            rows=cell_rows(ii, kk),
            keys=keys(ii, kk),
            delivered=g.start_local.take(pa.array(kk)).to_pylist(),
            clean=g.end_local.take(pa.array(kk)).to_pylist(),
            event=np.repeat(state.next_event("mdm.start_of_interval", len(first)), n),
        )
    if len(dup_i):
        _, first = np.unique(dup_i, return_index=True)
        ev = np.repeat(state.next_event("mdm.duplicate", len(first)), np.diff(np.append(first, len(dup_i))))
        log.add(
            "mdm.duplicate",
            file=sink.rel,
            feed="mdm_interval",
            column="value",
            key_fields=INTERVAL_KEY,
            rows=dup_rows,
            keys=keys(dup_i, dup_k),
            delivered=F.decimal(dup_val).to_pylist(),
            clean=F.decimal(true[dup_i, dup_k]).to_pylist(),
            original_row=cell_rows(dup_i, dup_k),
            conflicting=conflict,
            event=ev,
        )
    rem = np.nonzero(world.sp_removed[sps])[0]
    if len(rem):
        ii, kk = np.repeat(rem, n), np.tile(np.arange(n), len(rem))
        log.add(
            "mdm.removed_meter_read",
            file=sink.rel,
            feed="mdm_interval",
            column=None,
            key_fields=INTERVAL_KEY,
            rows=cell_rows(ii, kk),
            keys=keys(ii, kk),
            event=np.repeat(state.next_event("mdm.removed_meter_read", len(rem)), n),
        )
    # gaps: remember the missing cells; they are delivered (back-filled) two days later
    if len(gap_cells[0]):
        gi, gk = gap_cells
        _, first = np.unique(gi, return_index=True)
        state.backfill.setdefault(d + 2, []).append(
            {
                "sp": sps[gi],
                "k": gk,
                "value": true[gi, gk],
                "which": which[gi, gk],
                "day": np.full(len(gi), d),
                "minutes": np.full(len(gi), g.minutes),
                "file": np.full(len(gi), sink.rel, dtype=object),
                "event": np.repeat(
                    state.next_event("mdm.gap", len(first)), np.diff(np.append(first, len(gi)))
                ),
            }
        )
    return true


def _emit(
    world: World,
    g: Grid,
    sp: np.ndarray,
    k: np.ndarray,
    v: np.ndarray,
    start: np.ndarray,
    which: np.ndarray,
    received: str,
    sink: F.Sink,
) -> None:
    if not len(sp):
        return
    kk = pa.array(k + g.n * start.astype(np.int64))
    stamps = pa.concat_arrays([g.end_local, g.start_local]).take(kk)
    offsets = pa.concat_arrays([g.end_offset, g.start_offset]).take(kk)
    com = world.sp_commodity[sp]
    sink.lines(
        F.cat(
            sp_ids(sp),
            serials(world, sp, which),
            "1",
            stamps,
            offsets,
            str(g.minutes),
            F.decimal(v),
            UNIT.take(pa.array(com)),
            "0",
            received,
            sep=",",
        )
    )


def _backfill(
    world: World, params: GenerateParams, d: int, sink: F.Sink, log: DefectLog, state: MdmState
) -> None:
    for part in state.backfill.pop(d, []):
        first_row = sink.rows + 1
        for minutes in (15, 60):
            sel = part["minutes"] == minutes
            if not sel.any():
                continue
            g = grid(params.dates[int(part["day"][0])], minutes)
            received = f"{params.dates[d]}T09:00:00"  # recovered from the head-end, not the nightly 02:00 run
            _emit(
                world,
                g,
                part["sp"][sel],
                part["k"][sel],
                part["value"][sel],
                np.zeros(int(sel.sum()), bool),
                part["which"][sel],
                received,
                sink,
            )
        order = np.concatenate([np.nonzero(part["minutes"] == mm)[0] for mm in (15, 60)])
        rows = np.empty(len(order), np.int64)
        rows[order] = first_row + np.arange(len(order))
        _log_gap(world, params, part, log, sink.rel, rows)


def flush_gaps(world: World, params: GenerateParams, log: DefectLog, state: MdmState) -> None:
    """Record the gaps whose back-fill day lies beyond the run (never back-filled)."""
    for day in sorted(state.backfill):
        for part in state.backfill[day]:
            _log_gap(world, params, part, log, None, None)
    state.backfill.clear()


def _log_gap(
    world: World,
    params: GenerateParams,
    part: dict[str, np.ndarray],
    log: DefectLog,
    backfill_file: str | None,
    backfill_rows: np.ndarray | None,
) -> None:
    n = len(part["sp"])
    keys = []
    for s, k, dd, mm in zip(
        sp_ids(part["sp"]).to_pylist(), part["k"], part["day"], part["minutes"], strict=True
    ):
        g = grid(params.dates[int(dd)], int(mm))
        keys.append([s, "1", g.end_local[int(k)].as_py(), g.end_offset[int(k)].as_py()])
    log.add(
        "mdm.gap",
        file=str(part["file"][0]),
        feed="mdm_interval",
        column=None,
        key_fields=INTERVAL_KEY,
        rows=[None] * n,
        keys=keys,
        clean=F.decimal(part["value"]).to_pylist(),
        backfill_file=[backfill_file] * n,
        backfill_row=list(backfill_rows) if backfill_rows is not None else [None] * n,
        event=part["event"],
    )
