"""S2 MDM / AMI: interval reads (CSV), daily register reads (CSV); ESPI XML lives in espi.py.

Values are integers in milli-units (Wh, milli-CCF) in numpy matrices of meters x intervals, one chunk
of meters at a time; strings are made column-wise by pyarrow. Meter-day defects are mutually exclusive
(one categorical draw per meter and day), so every affected row has exactly one cause.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
import pyarrow as pa

from loaders.synth import formats as F
from loaders.synth.clock import LOAD_SHAPE, Grid, grid
from loaders.synth.defects import DefectLog, rate
from loaders.synth.formats import Deliveries
from loaders.synth.params import GenerateParams, rng
from loaders.synth.world import World
from warehouse.schema.staging import FEEDS

CHUNK = 5_000  # meters per interval chunk: ~500k rows, ~150 MB of text at a time
REG_CHUNK = 250_000
LETTER = np.array(["E", "G", "W"])
UNIT = pa.array(["KWH", "CCF", "CCF"])
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
REGISTER_KEY = ("service_point_id", "meter_serial", "read_date")


def sp_ids(sp: np.ndarray) -> pa.Array:
    """Service point ids: 'SP' + 9 digits."""
    return F.cat("SP", F.zpad(sp, 9))


def serials(world: World, sp: np.ndarray, which: np.ndarray) -> pa.Array:
    """Meter serials of `sp`; which: 0 current, 1 previous (removed before the run), 2 exchanged-in."""
    base = np.choose(np.asarray(which), [10_000_000, 20_000_000, 30_000_000])
    letter = pa.array(LETTER[world.sp_commodity[sp]])
    return F.cat(letter, F.as_str(base + sp))


def day_usage(world: World, params: GenerateParams, d: int) -> np.ndarray:
    """True usage of every service point on day index d, in milli-units (float)."""
    r = rng(params.seed, "usage", d)
    weekly = 1.0 + 0.12 * np.sin(2 * np.pi * (d % 7) / 7)
    return world.sp_base_daily * weekly * r.lognormal(0.0, 0.2, world.n_sps)


@dataclass
class MdmState:
    """What carries from one MDM day to the next: registers, back-fills, the interval sample."""

    register: np.ndarray
    sample: np.ndarray
    backfill: dict[int, list[dict[str, np.ndarray]]] = field(default_factory=dict)
    events: dict[str, int] = field(default_factory=dict)
    last_units: np.ndarray | None = None  # yesterday's register advance, for rollover bookkeeping

    def next_event(self, name: str, n: int = 1) -> np.ndarray:
        start = self.events.get(name, 0)
        self.events[name] = start + n
        return np.arange(start, start + n)


def init_state(world: World, params: GenerateParams) -> MdmState:
    """Register readings before day 1 (rollover meters placed so they wrap on their day) and the sample."""
    units = world.sp_register0.copy()
    roll = np.nonzero(world.sp_rollover_day >= 0)[0]
    if len(roll):
        cap = 10.0 ** world.sp_dials[roll]
        per_unit = 1000.0 * world.sp_multiplier[roll]
        k = world.sp_rollover_day[roll]
        cum = np.zeros(len(roll))
        last = np.zeros(len(roll))
        for d in range(int(k.max())):
            u = day_usage(world, params, d)[roll] / per_unit
            cum += np.where(d < k, u, 0.0)
            last = np.where(d == k - 1, u, last)
        # read k (start of day k) lands a little past the cap, read k-1 just below it
        units[roll] = cap - cum + 0.5 * last
    sample = np.ones(world.n_sps, bool)
    if params.profile == "utility-month":
        sample = rng(params.seed, "mdm", "sample").random(world.n_sps) < 0.05
    return MdmState(register=units, sample=sample & ~world.sp_removed)


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


def removed_reads(world: World, params: GenerateParams, d: int) -> np.ndarray:
    """Removed meters that (wrongly) report on day d: the same meters in the interval and register files."""
    r = rng(params.seed, "mdm_removed", d)
    return world.sp_removed & (r.random(world.n_sps) < rate(params, "mdm.removed_meter_read", d))


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

    def record(name: str, ii: np.ndarray, kk: np.ndarray, **extra: object) -> None:
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


def write_registers(
    world: World,
    params: GenerateParams,
    d: int,
    deliveries: Deliveries,
    log: DefectLog,
    state: MdmState,
    usage: np.ndarray,
    removed_read: np.ndarray,
) -> None:
    """Write day d's register reads (midnight reads at the start of the day) and advance the registers."""
    day = params.dates[d]
    feed = FEEDS["mdm_register"]
    r = rng(params.seed, "mdm_register", d)
    per_unit = 1000.0 * world.sp_multiplier
    cap = 10 ** world.sp_dials.astype(np.int64)
    active = ~world.sp_removed | removed_read
    sps = np.nonzero(active)[0]
    value = np.floor(state.register[sps]).astype(np.int64) % cap[sps]
    which = np.where(world.sp_exchange_day[sps] > 0, np.where(world.sp_exchange_day[sps] < d, 2, 0), 0)
    time_ = np.full(len(sps), "00:00:00", dtype=object)
    rtype = np.full(len(sps), "SCHEDULED", dtype=object)
    # exchanges: the old meter's removal read and the new meter's install read, at noon
    ex = np.nonzero(world.sp_exchange_day[sps] == d)[0]
    half = 0.5 * usage[sps[ex]] / per_unit[sps[ex]]
    ex_val = np.concatenate(
        [
            np.floor(state.register[sps[ex]] + half).astype(np.int64) % cap[sps[ex]],
            np.zeros(len(ex), np.int64),
        ]
    )
    # interleave each exchange's two extra rows right after its scheduled read
    order = np.argsort(np.concatenate([np.arange(len(sps)) * 3, ex * 3 + 1, ex * 3 + 2]), kind="stable")
    all_sp = np.concatenate([sps, sps[ex], sps[ex]])[order]
    all_val = np.concatenate([value, ex_val])[order]
    all_which = np.concatenate([which, np.zeros(len(ex), np.int64), np.full(len(ex), 2)])[order]
    all_time = np.concatenate([time_, np.full(2 * len(ex), "12:00:00", dtype=object)])[order]
    all_type = np.concatenate(
        [rtype, np.full(len(ex), "REMOVAL", dtype=object), np.full(len(ex), "INSTALL", dtype=object)]
    )[order]
    mult = world.sp_multiplier[all_sp].copy()
    wrong = r.random(len(all_sp)) < rate(params, "mdm.wrong_multiplier", d)
    mult_delivered = np.where(wrong, np.where(mult == 1, 10, 1), mult)
    unit = UNIT.take(pa.array(world.sp_commodity[all_sp]))
    with deliveries.open("mdm", "mdm_register", day, "csv") as sink:
        sink.header(feed.columns, ",")
        for lo in range(0, len(all_sp), REG_CHUNK):
            sl = slice(lo, lo + REG_CHUNK)
            s_sp = all_sp[sl]
            sink.lines(
                F.cat(
                    sp_ids(s_sp),
                    serials(world, s_sp, all_which[sl]),
                    day.isoformat(),
                    pa.array(all_time[sl], pa.string()),
                    F.as_str(all_val[sl]),
                    unit.slice(lo, len(s_sp)),
                    F.as_str(world.sp_dials[s_sp]),
                    F.as_str(mult_delivered[sl]),
                    pa.array(all_type[sl], pa.string()),
                    sep=",",
                )
            )

        def pick(mask: np.ndarray) -> tuple[np.ndarray, list[list[str]], pa.Array]:
            idx = np.nonzero(mask)[0]
            ser = serials(world, all_sp[idx], all_which[idx])
            pairs = zip(sp_ids(all_sp[idx]).to_pylist(), ser.to_pylist(), strict=True)
            return idx + 1, [[a, b, day.isoformat()] for a, b in pairs], ser

        rr, kk, _ = pick(wrong)
        log.add(
            "mdm.wrong_multiplier",
            file=sink.rel,
            feed="mdm_register",
            column="multiplier",
            key_fields=REGISTER_KEY,
            rows=rr,
            keys=kk,
            delivered=mult_delivered[wrong],
            clean=mult[wrong],
        )
        rr, kk, _ = pick(world.sp_removed[all_sp])
        log.add(
            "mdm.removed_meter_read",
            file=sink.rel,
            feed="mdm_register",
            column=None,
            key_fields=REGISTER_KEY,
            rows=rr,
            keys=kk,
        )
        ex_mask = world.sp_exchange_day[all_sp] == d
        rr, kk, ser = pick(ex_mask)
        log.add(
            "mdm.meter_exchange",
            file=sink.rel,
            feed="mdm_register",
            column="meter_serial",
            key_fields=REGISTER_KEY,
            rows=rr,
            keys=kk,
            delivered=ser.to_pylist(),
            read_type=list(all_type[ex_mask]),
        )
        roll = (world.sp_rollover_day[all_sp] == d) & (all_type == "SCHEDULED")
        if roll.any():
            rs = all_sp[roll]
            last = state.last_units[rs] if state.last_units is not None else np.zeros(len(rs))
            prev = np.floor(state.register[rs] - last).astype(np.int64) % cap[rs]
            rr, kk, _ = pick(roll)
            log.add(
                "mdm.register_rollover",
                file=sink.rel,
                feed="mdm_register",
                column="register_value",
                key_fields=REGISTER_KEY,
                rows=rr,
                keys=kk,
                delivered=all_val[roll],
                clean=(all_val[roll] + cap[rs] - prev),
                previous=prev,
                dials=world.sp_dials[rs],
            )
    # advance: the register at the start of tomorrow; exchanged meters restart from zero at noon
    units = usage / per_unit
    state.last_units = units
    state.register = state.register + units
    exd = world.sp_exchange_day == d
    state.register[exd] = 0.5 * units[exd]
