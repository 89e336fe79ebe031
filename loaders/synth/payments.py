"""S4 Payments: a bank lockbox file (fixed width, BAI2-style records) and a card/ACH processor CSV.

Lockbox layout: 80-character lines; positions 1-based inclusive; numbers right-justified zero-filled,
text left-justified space-filled; every record starts with record_type (1), bank_id (2-10), lockbox_no
(11-17); unused positions are spaces.

- `1` file header:  deposit_date 18-25
- `5` batch header: batch_no 18-22, deposit_date 23-30
- `6` detail:       batch_no 18-22, item_seq 23-27, account_number 28-47, amount_cents 48-59,
                    check_number 60-69, deposit_date 70-77
- `7` batch total:  batch_no 18-22, record_count 23-28, total_amount_cents 29-42
- `9` file trailer: record_count 18-25, total_amount_cents 26-41

Batch record_count = detail records in the batch; batch total = sum of its details' amount_cents (as
keyed). Trailer record_count = every record in the file including header and trailer; trailer total = sum
of all detail amounts. The staged `raw_line` is the whole line; the source row number is the line number.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loaders.synth import formats as F
from loaders.synth import people as P
from loaders.synth.defects import DefectLog, rate
from loaders.synth.formats import Deliveries
from loaders.synth.manifest import Truth
from loaders.synth.params import GenerateParams, rng
from loaders.synth.world import World
from warehouse.schema.staging import FEEDS

BANK_ID, LOCKBOX_NO = "071000013", "0045120"
BATCH_SIZE = 50
LOCKBOX_SHARE = 0.4
RETURN_CODES = np.array(["R01", "R02", "R03", "R04", "R10", "CB"])


@dataclass
class PaymentState:
    """Card/ACH payments so far (for returns), and the file-redelivery schedule's phase."""

    phase: float
    next_txn: int = 0
    txn_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    txn_acc: np.ndarray = field(default_factory=lambda: np.zeros(0, object))  # the paid account's id as text
    txn_cents: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    cum_redelivery: float = 0.0


def init_state(params: GenerateParams) -> PaymentState:
    """A random phase for file-level defects: they occur every 1/rate days on average, evenly spread."""
    return PaymentState(phase=float(rng(params.seed, "payments", "phase").random()))


def _miskey(r: np.random.Generator, clean: pa.Array) -> pa.Array:
    """Change one digit, or transpose two adjacent different digits, in the last 8 of 12."""
    s = np.array(clean.to_pylist(), dtype="U12")
    b = s.view("U1").reshape(len(s), 12).copy()
    pos = 4 + r.integers(0, 7, len(s))
    rows = np.arange(len(s))
    a, c = b[rows, pos].copy(), b[rows, pos + 1].copy()
    transpose = (r.random(len(s)) < 0.5) & (a != c)
    b[rows, pos] = np.where(
        transpose, c, ((a.astype(np.int64) + 1 + r.integers(0, 8, len(s))) % 10).astype("U1")
    )
    b[rows, pos + 1] = np.where(transpose, a, c)
    return pa.array(np.ascontiguousarray(b).view("U12").ravel())


def write_day(
    world: World,
    params: GenerateParams,
    d: int,
    state: PaymentState,
    deliveries: Deliveries,
    log: DefectLog,
    truth: Truth,
    closed_in_run: np.ndarray,
) -> None:
    """Day d's lockbox file (maybe delivered twice) and processor CSV.

    `closed_in_run` flags accounts the CIS deltas have closed so far: they no longer pay (a payment to a
    closed account is the `payments.closed_account` defect, drawn from accounts closed before the run).
    """
    r = rng(params.seed, "payments", d)
    active = np.nonzero(np.isnat(world.account_close) & ~closed_in_run)[0]
    closed = np.nonzero(~np.isnat(world.account_close))[0]
    payers = active[r.random(len(active)) < 1 / 30]
    k_closed = min(int(r.binomial(len(payers), rate(params, "payments.closed_account", d))), len(closed))
    acc = np.concatenate([payers, closed[r.integers(0, max(len(closed), 1), k_closed)] if k_closed else []])
    acc = acc.astype(np.int64)
    acc = acc[r.permutation(len(acc))]
    n = len(acc)
    cents = np.round(r.lognormal(np.log(12000), 0.5, n)).astype(np.int64)
    clean = P.account_ids(world.account_num[acc])
    miskey = r.random(n) < rate(params, "payments.miskeyed_account", d)
    typed = pc.if_else(pa.array(miskey), _miskey(r, clean), clean) if n else clean
    unit_err = r.random(n) < rate(params, "payments.cents_dollars", d)
    is_closed = ~np.isnat(world.account_close[acc])
    person = world.partner_person[world.account_partner[acc]]
    lock = r.random(n) < LOCKBOX_SHARE
    li, ci = np.nonzero(lock)[0], np.nonzero(~lock)[0]
    ctx = (acc, cents, clean, typed, miskey, unit_err, is_closed, person)
    path = _lockbox(params, d, r, li, ctx, deliveries, log, truth)
    _card(params, d, r, ci, ctx, state, deliveries, log, truth)
    before = state.cum_redelivery
    state.cum_redelivery += rate(params, "payments.file_redelivered", d)
    if int(state.phase + state.cum_redelivery) > int(state.phase + before):
        copy = deliveries.copy(path, "resend", "resend")
        log.add(
            "payments.file_redelivered",
            file=copy,
            feed="payments_lockbox",
            column=None,
            key_fields=("file",),
            rows=[None],
            keys=[[path]],
            delivered=[copy],
            clean=[None],
        )


def _lockbox(
    params: GenerateParams,
    d: int,
    r: np.random.Generator,
    idx: np.ndarray,
    ctx: tuple,
    deliveries: Deliveries,
    log: DefectLog,
    truth: Truth,
) -> str:
    acc, cents, clean, typed, miskey, unit_err, is_closed, person = ctx
    day = params.dates[d]
    dd = f"{day:%Y%m%d}"
    n = len(idx)
    sel = pa.array(idx, pa.int64())
    true_cents = cents[idx]
    keyed = np.where(unit_err[idx], true_cents // 100, true_cents)  # dollars keyed into a cents field
    batch = idx_batch = np.arange(n) // BATCH_SIZE + 1
    seq = np.arange(n) % BATCH_SIZE + 1
    n_batches = int(batch.max()) if n else 0
    check = r.integers(1000, 9_999_999, n)
    head = f"1{BANK_ID}{LOCKBOX_NO}"
    details = (
        F.cat(
            "6",
            BANK_ID,
            LOCKBOX_NO,
            F.zpad(batch, 5),
            F.zpad(seq, 5),
            F.fixed(typed.take(sel), 20),
            F.zpad(keyed, 12),
            F.zpad(check, 10),
            dd,
            "   ",
        )
        if n
        else pa.array([], pa.string())
    )
    sums = (
        np.bincount(idx_batch - 1, weights=keyed, minlength=n_batches).astype(np.int64) if n else np.zeros(0)
    )
    counts = np.bincount(idx_batch - 1, minlength=n_batches) if n else np.zeros(0, np.int64)
    mismatch = r.random(n_batches) < rate(params, "payments.batch_total_mismatch", d)
    delta = np.where(r.random(n_batches) < 0.5, -1, 1) * r.integers(100, 50_000, n_batches)
    delivered_tot = np.where(mismatch, np.maximum(sums + delta, 0), sums)
    parts: list[pa.Array] = [pa.array([(head + dd).ljust(80)])]
    line_of_detail = np.zeros(n, np.int64)
    total_line = np.zeros(n_batches, np.int64)
    line = 1
    for b in range(n_batches):
        lo, hi = b * BATCH_SIZE, min((b + 1) * BATCH_SIZE, n)
        parts.append(pa.array([f"5{BANK_ID}{LOCKBOX_NO}{b + 1:05d}{dd}".ljust(80)]))
        parts.append(details.slice(lo, hi - lo))
        line_of_detail[lo:hi] = line + 2 + np.arange(hi - lo)
        line += 2 + (hi - lo)
        total_line[b] = line
        parts.append(
            pa.array([f"7{BANK_ID}{LOCKBOX_NO}{b + 1:05d}{counts[b]:06d}{delivered_tot[b]:014d}".ljust(80)])
        )
    records = line + 1
    parts.append(pa.array([f"9{BANK_ID}{LOCKBOX_NO}{records:08d}{int(keyed.sum()):016d}".ljust(80)]))
    with deliveries.open("payments", "payments_lockbox", day, "txt") as sink:
        sink.lines(pa.concat_arrays(parts))
        keys = [[f"{b:05d}", f"{s:05d}"] for b, s in zip(batch, seq, strict=True)]

        def rec(cls: str, m: np.ndarray, column: str, delivered: list | None, cl: list | None) -> None:
            j = np.nonzero(m)[0]
            log.add(
                cls,
                file=sink.rel,
                feed="payments_lockbox",
                column=column,
                key_fields=("batch_no", "item_seq"),
                rows=line_of_detail[j],
                keys=[keys[i] for i in j],
                delivered=None if delivered is None else [delivered[i] for i in j],
                clean=None if cl is None else [cl[i] for i in j],
            )

        typed_l, clean_l = typed.take(sel).to_pylist(), clean.take(sel).to_pylist()
        rec("payments.miskeyed_account", miskey[idx], "account_number", typed_l, clean_l)
        rec(
            "payments.cents_dollars",
            unit_err[idx],
            "amount_cents",
            [f"{v:012d}" for v in keyed],
            [f"{v:012d}" for v in true_cents],
        )
        rec("payments.closed_account", is_closed[idx], "account_number", typed_l, [None] * n)
        bj = np.nonzero(mismatch)[0]
        log.add(
            "payments.batch_total_mismatch",
            file=sink.rel,
            feed="payments_lockbox",
            column="total_amount_cents",
            key_fields=("batch_no",),
            rows=total_line[bj],
            keys=[[f"{b + 1:05d}"] for b in bj],
            delivered=[f"{v:014d}" for v in delivered_tot[bj]],
            clean=[f"{v:014d}" for v in sums[bj]],
        )
        truth.add(
            "payments",
            "payments_lockbox",
            sink.rel,
            line_of_detail,
            F.cat(F.zpad(batch, 5), "-", F.zpad(seq, 5)) if n else pa.array([], pa.string()),
            P.person_ids(person[idx]),
            clean.take(sel),
        )
        return sink.rel


def _card(
    params: GenerateParams,
    d: int,
    r: np.random.Generator,
    idx: np.ndarray,
    ctx: tuple,
    state: PaymentState,
    deliveries: Deliveries,
    log: DefectLog,
    truth: Truth,
) -> None:
    acc, cents, clean, typed, miskey, unit_err, is_closed, person = ctx
    day = params.dates[d]
    n = len(idx)
    sel = pa.array(idx, pa.int64())
    txn = state.next_txn + np.arange(n)
    state.next_txn += n
    true_amt = F.decimal(cents[idx], 2)
    amount = pc.if_else(pa.array(unit_err[idx]), F.as_str(cents[idx]), true_amt)  # cents sent as dollars
    secs = r.integers(0, 86400 - 7200, n)  # avoid the 1-2 am hour that DST days repeat or skip
    secs = np.where(secs >= 3600, secs + 7200, secs)
    paid = F.iso_minutes(np.datetime64(day, "s") + secs.astype("timedelta64[s]"))
    method = np.where(r.random(n) < 0.6, "CARD", "ACH")
    # returns of earlier payments (0.5-1% of them), delivered after today's settlements
    ret = np.nonzero(r.random(len(state.txn_ids)) < 0.0075 / max(params.days, 1))[0]
    tid = F.cat("TXN", F.zpad(txn, 12))
    rows = pa.concat_arrays(
        [
            F.cat(tid, typed.take(sel), amount, "USD", paid, pa.array(method), "SETTLED", "", "", sep=","),
            F.cat(
                F.cat("TXN", F.zpad(state.next_txn + np.arange(len(ret)), 12)),
                pa.array(state.txn_acc[ret].tolist(), pa.string()),  # the returned payment's own account
                F.cat("-", F.decimal(state.txn_cents[ret], 2)),
                "USD",
                f"{day}T06:00:00",
                "ACH",
                "RETURNED",
                pa.array(RETURN_CODES[r.integers(0, 6, len(ret))]),
                F.cat("TXN", F.zpad(state.txn_ids[ret], 12)),
                sep=",",
            )
            if len(ret)
            else pa.array([], pa.string()),
        ]
    )
    state.next_txn += len(ret)
    state.txn_ids = np.concatenate([state.txn_ids, txn])
    state.txn_acc = np.concatenate([state.txn_acc, np.array(clean.take(sel).to_pylist(), dtype=object)])
    state.txn_cents = np.concatenate([state.txn_cents, cents[idx]])
    with deliveries.open("payments", "payments_card", day, "csv") as sink:
        sink.header(FEEDS["payments_card"].columns, ",")
        sink.lines(rows)
        row_no = np.arange(1, n + 1)
        for cls, m, col, delivered, cl in (
            ("payments.miskeyed_account", miskey[idx], "account_number", typed.take(sel), clean.take(sel)),
            ("payments.cents_dollars", unit_err[idx], "amount", amount, true_amt),
            ("payments.closed_account", is_closed[idx], "account_number", typed.take(sel), None),
        ):
            s = pa.array(m)
            log.add(
                cls,
                file=sink.rel,
                feed="payments_card",
                column=col,
                key_fields=("transaction_id",),
                rows=row_no[m],
                keys=tid.filter(s).to_pylist(),
                delivered=delivered.filter(s).to_pylist(),
                clean=None if cl is None else cl.filter(s).to_pylist(),
            )
        truth.add(
            "payments", "payments_card", sink.rel, row_no, tid, P.person_ids(person[idx]), clean.take(sel)
        )
