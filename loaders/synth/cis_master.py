"""S1 CIS master data: the snapshot and deltas of premises, accounts, service points, tariffs (and customers).

Day 1 is a full snapshot (`_full`), later days are deltas (`_delta`, record_action I/U). Pipe-delimited with
a header row; ids zero-padded; dates YYYYMMDD with 00000000 for null.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loaders.synth import formats as F
from loaders.synth import people as P
from loaders.synth import vocab
from loaders.synth.cis_customers import PartnerRows, world_partners, write_customers
from loaders.synth.defects import DefectLog, rate
from loaders.synth.formats import Deliveries, Sink
from loaders.synth.manifest import Truth
from loaders.synth.mdm import LETTER, serials, sp_ids
from loaders.synth.params import GenerateParams, rng
from loaders.synth.world import ACCOUNT_BASE, MOVEIN_PARTNER_BASE, PARTNER_BASE, World
from warehouse.schema.staging import FEEDS

CHUNK = 250_000
NAT = np.datetime64("NaT", "D")
TARIFF_CODES = pa.array([t[0] for t in vocab.TARIFFS])


@dataclass
class CisState:
    """Run-time changes the deltas describe: vacancies filled, accounts opened and closed."""

    vacant: np.ndarray
    next_vacant: int = 0
    new_persons: int = 0
    new_partners: int = 0
    new_accounts: int = 0
    closed: set[int] = field(default_factory=set)


def closed_in_run(world: World, state: CisState) -> np.ndarray:
    """Mask over the world's accounts: closed by a delta so far."""
    mask = np.zeros(world.n_accounts, bool)
    mask[np.fromiter(state.closed, dtype=np.int64, count=len(state.closed))] = True
    return mask


def init_state(world: World, params: GenerateParams) -> CisState:
    """Vacant premises (with a placeholder account) in the order move-ins will fill them."""
    vac = np.arange(world.n_persons, world.n_premises)
    return CisState(vacant=rng(params.seed, "cis", "vacancies").permutation(vac))


def tariff_index(world: World, acc: np.ndarray, prem: np.ndarray) -> np.ndarray:
    """Index into vocab.TARIFFS of each account's electric tariff (by premise type and account number)."""
    com = world.commercial[prem]
    return np.where(com, np.where(acc % 5 == 0, 3, 2), np.where(acc % 10 == 0, 1, 0))


def write_accounts(
    world: World,
    params: GenerateParams,
    d: int,
    acc: np.ndarray,
    partner_num: np.ndarray,
    partner_person: np.ndarray,
    premise: np.ndarray,
    status: np.ndarray,
    open_: np.ndarray,
    close: np.ndarray,
    cycle: np.ndarray,
    action: str | pa.Array,
    sink: Sink,
    log: DefectLog,
    truth: Truth,
) -> None:
    """Write account rows (acc = account numbers), stripping leading zeros from some ids."""
    for lo in range(0, len(acc), CHUNK):
        sl = slice(lo, lo + CHUNK)
        n = len(acc[sl])
        r = rng(params.seed, "cis_account", d, lo)
        num, pnum, prem = acc[sl], partner_num[sl], premise[sl]
        aid = P.account_ids(num)
        pid, prid = P.partner_ids(pnum), P.premise_ids(prem)
        strip = r.random(n) < rate(params, "cis.stripped_leading_zeros", d)
        on_partner = strip & (r.random(n) < 0.5)
        on_premise = strip & ~on_partner
        pid_out = pc.if_else(pa.array(on_partner), F.as_str(pnum), pid)
        prid_out = pc.if_else(pa.array(on_premise), F.as_str(3_000_000 + prem), prid)
        act = action if isinstance(action, str) else action[lo : lo + CHUNK]
        tariff = F.take(TARIFF_CODES, tariff_index(world, num, prem))
        row_no = sink.rows + 1 + np.arange(n)
        sink.lines(
            F.cat(
                aid,
                act,
                pid_out,
                prid_out,
                pa.array(status[sl], pa.string()),
                tariff,
                F.zpad(cycle[sl], 2),
                F.yyyymmdd(open_[sl]),
                F.yyyymmdd(close[sl]),
                sep="|",
            )
        )
        for m, col, out, clean in (
            (on_partner, "partner_id", pid_out, pid),
            (on_premise, "premise_id", prid_out, prid),
        ):
            sel = pa.array(m)
            log.add(
                "cis.stripped_leading_zeros",
                file=sink.rel,
                feed="cis_account",
                column=col,
                key_fields=("contract_account",),
                rows=row_no[m],
                keys=aid.filter(sel).to_pylist(),
                delivered=out.filter(sel).to_pylist(),
                clean=clean.filter(sel).to_pylist(),
            )
        truth.add("cis", "cis_account", sink.rel, row_no, aid, P.person_ids(partner_person[sl]), aid)


def write_snapshot(
    world: World, params: GenerateParams, deliveries: Deliveries, log: DefectLog, truth: Truth
) -> None:
    """Day 1: the full snapshot of every CIS master feed."""
    day = params.dates[0]
    start = np.datetime64(day, "D")

    def opened(feed: str) -> Sink:
        s = deliveries.open("cis", feed, day, "dat", suffix="full", kind="full")
        s.header(FEEDS[feed].columns, "|")
        return s

    with opened("cis_tariff") as sink:
        sink.lines(pa.array(["|".join((t[0], t[1], t[2], t[3], t[4], "20250101")) for t in vocab.TARIFFS]))
    with opened("cis_premise") as sink:
        for lo in range(0, world.n_premises, CHUNK):
            prem = np.arange(lo, min(lo + CHUNK, world.n_premises))
            sink.lines(
                F.cat(
                    P.premise_ids(prem),
                    "I",
                    P.street_std(world, prem),
                    P.unit_std(world, prem),
                    P.city(world, prem),
                    P.state(world, prem),
                    P.zip5(world, prem),
                    pc.if_else(pa.array(world.commercial[prem]), "COM", "RES"),
                    F.yyyymmdd(world.created[prem]),
                    sep="|",
                )
            )
    with opened("cis_customer") as sink:
        rows = world_partners(world, np.arange(world.n_partners))
        write_customers(world, params, 0, rows, "I", None, sink, log, truth)
    with opened("cis_account") as sink:
        ap = world.account_partner
        status = np.where(np.isnat(world.account_close), "A", "C")
        write_accounts(
            world,
            params,
            0,
            world.account_num,
            world.partner_num[ap],
            world.partner_person[ap],
            world.account_premise,
            status,
            world.account_open,
            world.account_close,
            world.account_cycle,
            "I",
            sink,
            log,
            truth,
        )
    with opened("cis_service_point") as sink:
        for lo in range(0, world.n_sps, CHUNK):
            sp = np.arange(lo, min(lo + CHUNK, world.n_sps))
            prev = sp[world.sp_has_previous[sp]]
            all_sp = np.concatenate([sp, prev])
            which = np.concatenate([np.zeros(len(sp), np.int64), np.ones(len(prev), np.int64)])
            order = np.argsort(np.concatenate([sp * 2 + 1, prev * 2]), kind="stable")
            all_sp, which = all_sp[order], which[order]
            inst = world.sp_install[all_sp]
            removed_cur = world.sp_removed[all_sp] & (which == 0)
            rem_day = np.maximum(inst + 1, start - 1 - (all_sp % 50).astype("timedelta64[D]"))
            remove = np.where(which == 1, inst, np.where(removed_cur, rem_day, NAT))
            install = np.where(which == 1, inst - 3000, inst)
            com = world.sp_commodity[all_sp]
            sink.lines(
                F.cat(
                    sp_ids(all_sp),
                    "I",
                    P.premise_ids(world.sp_premise[all_sp]),
                    pa.array(LETTER[com]),
                    serials(world, all_sp, which),
                    F.as_str(world.sp_multiplier[all_sp]),
                    pa.array(np.array(["KWH", "CCF", "CCF"])[com]),
                    F.as_str(world.sp_dials[all_sp]),
                    pa.array(np.where(com == 0, "15", "60")),
                    F.yyyymmdd(install),
                    F.yyyymmdd(remove),
                    pa.array(np.where((which == 1) | removed_cur, "R", "A")),
                    sep="|",
                )
            )


def write_delta(
    world: World,
    params: GenerateParams,
    d: int,
    state: CisState,
    deliveries: Deliveries,
    log: DefectLog,
    truth: Truth,
) -> None:
    """Day d > 1: customer changes and move-ins, account openings and closures, meter exchanges."""
    day = params.dates[d]
    today = np.datetime64(day, "D")
    r = rng(params.seed, "cis_delta", d)
    n = world.n_persons

    def opened(feed: str) -> Sink:
        s = deliveries.open("cis", feed, day, "dat", suffix="delta", kind="delta")
        s.header(FEEDS[feed].columns, "|")
        return s

    with opened("cis_premise"):
        pass  # premises do not change during a run: the delta is header-only, as the source sends it
    # move-ins fill vacant premises; some are existing customers who get a second partner (duplicate)
    k = int(min(len(state.vacant) - state.next_vacant, r.binomial(n, 0.0007)))
    prem = state.vacant[state.next_vacant : state.next_vacant + k]
    state.next_vacant += k
    existing = r.random(k) < min(1.0, 15 * rate(params, "cis.duplicate_customer", d))
    old_person = r.integers(0, max(n, 1), k)
    person = np.where(existing, old_person, n + state.new_persons + np.cumsum(~existing) - 1)
    state.new_persons += int((~existing).sum())
    fresh = P.People(
        person,
        r.integers(0, len(vocab.FIRST_NAMES), k),
        r.integers(0, len(vocab.LAST_NAMES), k),
        np.zeros(k, bool),
        r.integers(0, len(vocab.AREA_CODES), k),
        r.integers(201, 990, k),
        r.integers(0, 10000, k),
        r.integers(0, len(vocab.EMAIL_DOMAINS), k),
        today - 365 * 20 - r.integers(0, 365 * 50, k).astype("timedelta64[D]"),
    )
    known = P.People.of(world, np.where(existing, old_person, 0))
    ppl = P.People(
        person,
        *(
            np.where(existing, getattr(known, f), getattr(fresh, f))
            for f in list(P.People.__dataclass_fields__)[1:]
        ),
    )
    pnum = MOVEIN_PARTNER_BASE + state.new_partners + np.arange(k)
    state.new_partners += k
    moved = PartnerRows(
        pnum,
        existing.astype(np.int8),
        prem,
        np.full(k, today),
        ppl,
        np.where(existing, PARTNER_BASE + old_person, -1),
    )
    # a few customers re-sent unchanged but for changed_on (a clerk touched the record)
    touched = np.nonzero(r.random(world.n_partners) < 0.001 * (world.partner_kind == 0))[0]
    with opened("cis_customer") as sink:
        write_customers(world, params, d, world_partners(world, touched), "U", day, sink, log, truth)
        write_customers(world, params, d, moved, "I", day, sink, log, truth)
    # accounts: the placeholder's and the moving customer's old account close; the new one opens
    acc_of_prem = world.account_of_premise()
    close_idx = np.concatenate([acc_of_prem[prem], old_person[existing]])
    close_idx = np.array(
        [a for a in dict.fromkeys(close_idx.tolist()) if a >= 0 and a not in state.closed], dtype=np.int64
    )
    state.closed.update(close_idx.tolist())
    new_num = ACCOUNT_BASE + world.n_accounts + state.new_accounts + np.arange(k)
    state.new_accounts += k
    ap = world.account_partner[close_idx]
    with opened("cis_account") as sink:
        write_accounts(
            world,
            params,
            d,
            np.concatenate([world.account_num[close_idx], new_num]),
            np.concatenate([world.partner_num[ap], pnum]),
            np.concatenate([world.partner_person[ap], person]),
            np.concatenate([world.account_premise[close_idx], prem]),
            np.array(["C"] * len(close_idx) + ["A"] * k),
            np.concatenate([world.account_open[close_idx], np.full(k, today)]),
            np.concatenate([np.full(len(close_idx), today - 1), np.full(k, NAT)]),
            np.concatenate([world.account_cycle[close_idx], 1 + r.integers(0, 21, k)]),
            pa.array(["U"] * len(close_idx) + ["I"] * k),
            sink,
            log,
            truth,
        )
    # meter exchanges: the old meter removed (U) and the new one installed (I), same service point
    ex = np.nonzero(world.sp_exchange_day == d)[0]
    with opened("cis_service_point") as sink:
        all_sp = np.repeat(ex, 2)
        which = np.tile(np.array([0, 2]), len(ex))
        com = world.sp_commodity[all_sp]
        ser = serials(world, all_sp, which)
        inst = np.where(which == 0, world.sp_install[all_sp], today)
        sink.lines(
            F.cat(
                sp_ids(all_sp),
                pa.array(np.tile(np.array(["U", "I"]), len(ex))),
                P.premise_ids(world.sp_premise[all_sp]),
                pa.array(LETTER[com]),
                ser,
                F.as_str(world.sp_multiplier[all_sp]),
                pa.array(np.array(["KWH", "CCF", "CCF"])[com]),
                F.as_str(world.sp_dials[all_sp]),
                pa.array(np.where(com == 0, "15", "60")),
                F.yyyymmdd(inst),
                F.yyyymmdd(np.where(which == 0, today, NAT)),
                pa.array(np.where(which == 0, "R", "A")),
                sep="|",
            )
            if len(ex)
            else pa.array([], pa.string())
        )
        log.add(
            "mdm.meter_exchange",
            file=sink.rel,
            feed="cis_service_point",
            column="meter_serial",
            key_fields=("service_point_id", "meter_serial"),
            rows=np.arange(1, len(all_sp) + 1),
            keys=[[a, b] for a, b in zip(sp_ids(all_sp).to_pylist(), ser.to_pylist(), strict=True)],
            delivered=ser.to_pylist(),
        )
