"""S3 CRM / contact centre / web: contacts, cases and interactions as JSON lines.

The CIS account is free text typed by an agent or a customer. Timestamps are local wall time
('YYYY-MM-DDTHH:MM:SS', no offset) except where the `crm.utc_timestamp` defect says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loaders.synth import formats as F
from loaders.synth import people as P
from loaders.synth import vocab
from loaders.synth.clock import TZ
from loaders.synth.defects import DefectLog, rate
from loaders.synth.formats import Deliveries
from loaders.synth.manifest import Truth
from loaders.synth.params import GenerateParams, rng
from loaders.synth.world import World

CONTACT_SHARE = 0.4
CHANNELS = np.array(["PHONE", "WEB", "EMAIL", "CHAT"])
I_CHANNELS = np.array(["PHONE", "CHAT", "EMAIL", "PORTAL"])
CASE_TYPES = np.array(["BILLING", "PAYMENT", "MOVE", "OUTAGE", "METER", "HIGH_BILL"])
REASONS = np.array(
    [
        "bill inquiry",
        "payment arrangement",
        "start service",
        "stop service",
        "outage report",
        "meter question",
        "high bill",
        "update contact",
    ]
)


@dataclass
class CrmState:
    """Contacts known so far: contact number per person (-1 none), and the next numbers."""

    contact_of: np.ndarray
    next_contact: int = 0
    next_case: int = 0
    next_interaction: int = 0


def contact_ids(nums: np.ndarray) -> pa.Array:
    """Salesforce-style 18-character contact ids."""
    return F.cat("003", F.zpad(nums, 15))


def _typed_account(
    params: GenerateParams, d: int, r: np.random.Generator, acc_num: np.ndarray, eligible: np.ndarray
) -> tuple[pa.Array, np.ndarray, pa.Array]:
    """The account as typed: mostly the 12 digits; some with dashes or without the leading zeros."""
    clean = P.account_ids(acc_num)
    bad = eligible & (r.random(len(acc_num)) < rate(params, "crm.account_format", d))
    dashes = r.random(len(acc_num)) < 0.5
    dashed = F.cat(
        pc.utf8_slice_codeunits(clean, 0, 4),
        "-",
        pc.utf8_slice_codeunits(clean, 4, 8),
        "-",
        pc.utf8_slice_codeunits(clean, 8, 12),
    )
    typed = pc.if_else(pa.array(bad), pc.if_else(pa.array(dashes), dashed, F.as_str(acc_num)), clean)
    return typed, bad, clean


def init_state(world: World, params: GenerateParams) -> CrmState:
    """No contacts yet: day 1 delivers the full contact export."""
    return CrmState(contact_of=np.full(world.n_persons, -1, dtype=np.int64))


def _local(day: datetime, seconds: np.ndarray) -> np.ndarray:
    return np.datetime64(day.date(), "s") + seconds.astype("timedelta64[s]")


def write_day(
    world: World,
    params: GenerateParams,
    d: int,
    state: CrmState,
    deliveries: Deliveries,
    log: DefectLog,
    truth: Truth,
) -> None:
    """Day d's contacts (full export on day 1, new sign-ups after), cases and interactions."""
    r = rng(params.seed, "crm", d)
    n = world.n_persons
    if d == 0:
        persons = np.nonzero(r.random(n) < CONTACT_SHARE)[0]
        dups = persons[r.random(len(persons)) < rate(params, "crm.duplicate_signup", d)]
    else:
        fresh = r.integers(0, max(n, 1), r.binomial(n, 0.0003))
        dups = np.unique(fresh[state.contact_of[fresh] >= 0])
        persons = np.unique(fresh[state.contact_of[fresh] < 0])
    first_num = state.next_contact + np.arange(len(persons))
    state.contact_of[persons] = first_num
    state.next_contact += len(persons)
    dup_num = state.next_contact + np.arange(len(dups))
    state.next_contact += len(dups)
    all_p = np.concatenate([persons, dups])
    nums = np.concatenate([first_num, dup_num])
    is_dup = np.concatenate([np.zeros(len(persons), bool), np.ones(len(dups), bool)])
    _contacts(world, params, d, r, all_p, nums, is_dup, state, deliveries, log, truth)
    _cases_and_interactions(world, params, d, r, state, deliveries, log)


def _contacts(
    world: World,
    params: GenerateParams,
    d: int,
    r: np.random.Generator,
    persons: np.ndarray,
    nums: np.ndarray,
    is_dup: np.ndarray,
    state: CrmState,
    deliveries: Deliveries,
    log: DefectLog,
    truth: Truth,
) -> None:
    day = params.dates[d]
    k = len(persons)
    ppl = P.People.of(world, persons)
    cid = contact_ids(nums)
    acc_num = world.account_num[persons]  # a person's active account is account number `person`
    typed, bad_acc, clean_acc = _typed_account(params, d, r, acc_num, np.ones(k, bool))
    email, phone = ppl.email(), ppl.phone_e164()
    conflict = r.random(k) < rate(params, "crm.contact_conflict", d)
    on_email = conflict & (r.random(k) < 0.5)
    on_phone = conflict & ~on_email
    other_domain = F.take(vocab.EMAIL_DOMAINS, (ppl.domain + 1) % len(vocab.EMAIL_DOMAINS))
    alt_email = pc.utf8_lower(F.cat(ppl.first_name(), ppl.last_name(), "@", other_domain))
    alt_phone = F.cat(
        "+1", F.take(vocab.AREA_CODES, ppl.area), F.as_str(ppl.exch), F.zpad((ppl.line + 1) % 10000, 4)
    )
    out_email = pc.if_else(pa.array(on_email), alt_email, email)
    out_email = pc.if_else(pa.array(is_dup), pc.utf8_upper(email), out_email)
    out_phone = pc.if_else(pa.array(on_phone), alt_phone, phone)
    prem = persons
    secs = r.integers(7 * 3600, 22 * 3600, k)
    created = F.iso_minutes(_local(datetime.combine(day, time(0)), secs))
    channel = np.where(is_dup, "WEB", CHANNELS[r.integers(0, len(CHANNELS), k)])
    lines = F.json_lines(
        [
            ("contact_id", cid, False),
            ("first_name", pc.utf8_title(ppl.first_name()), False),
            ("last_name", pc.utf8_title(ppl.last_name()), False),
            ("email", out_email, False),
            ("phone", out_phone, False),
            ("account_text", typed, False),
            ("street", P.street_std(world, prem), False),
            ("city", P.city(world, prem), False),
            ("state", P.state(world, prem), False),
            ("zip", P.zip5(world, prem), False),
            ("created_at", created, False),
            ("channel", pa.array(channel), False),
        ],
        k,
    )
    with deliveries.open("crm", "crm_contact", day, "jsonl", kind="full" if d == 0 else "daily") as sink:
        sink.lines(lines)
        rows = np.arange(1, k + 1)

        def rec(
            cls: str,
            m: np.ndarray,
            column: str | None,
            delivered: pa.Array | None,
            clean: pa.Array | None,
            **extra: Any,
        ) -> None:
            sel = pa.array(m)
            log.add(
                cls,
                file=sink.rel,
                feed="crm_contact",
                column=column,
                key_fields=("contact_id",),
                rows=rows[m],
                keys=cid.filter(sel).to_pylist(),
                delivered=None if delivered is None else delivered.filter(sel).to_pylist(),
                clean=None if clean is None else clean.filter(sel).to_pylist(),
                **extra,
            )  # type: ignore[arg-type]

        rec("crm.account_format", bad_acc, "account_text", typed, clean_acc)
        # a duplicate sign-up re-types the person's own email (upper case) over the conflicting one, so
        # only the other drawn email conflicts are delivered
        email_conflict = on_email & ~is_dup
        rec(
            "crm.contact_conflict",
            email_conflict,
            "email",
            out_email,
            None,
            cis_value=email.filter(pa.array(email_conflict)).to_pylist(),
        )
        rec(
            "crm.contact_conflict",
            on_phone,
            "phone",
            out_phone,
            None,
            cis_value=phone.filter(pa.array(on_phone)).to_pylist(),
        )
        first = contact_ids(state.contact_of[persons])
        rec(
            "crm.duplicate_signup",
            is_dup,
            None,
            None,
            None,
            same_person_as=first.filter(pa.array(is_dup)).to_pylist(),
            person_id=P.person_ids(persons[is_dup]).to_pylist(),
        )
        truth.add("crm", "crm_contact", sink.rel, rows, cid, P.person_ids(persons), clean_acc)


def _cases_and_interactions(
    world: World,
    params: GenerateParams,
    d: int,
    r: np.random.Generator,
    state: CrmState,
    deliveries: Deliveries,
    log: DefectLog,
) -> None:
    day = params.dates[d]
    known = np.nonzero(state.contact_of >= 0)[0]
    n = world.n_persons
    midnight = datetime.combine(day, time(0))
    utc_shift = int(-datetime.combine(day, time(12), TZ).utcoffset().total_seconds())  # type: ignore[union-attr]
    # cases
    kc = min(int(r.binomial(n, 0.0025)), len(known) * 3) if len(known) else 0
    cp = known[r.integers(0, len(known), kc)] if kc else np.zeros(0, np.int64)
    case_num = state.next_case + np.arange(kc)
    state.next_case += kc
    case_id = F.cat("500", F.zpad(case_num, 15))
    typed, bad, clean = _typed_account(params, d, r, world.account_num[cp], np.ones(kc, bool))
    opened = r.integers(7 * 3600, 20 * 3600, kc)
    closed_ = r.random(kc) < 0.7
    closed_at = pc.if_else(
        pa.array(closed_),
        F.iso_minutes(_local(midnight, opened + r.integers(300, 7200, kc))),
        pa.scalar(None, pa.string()),
    )
    with deliveries.open("crm", "crm_case", day, "jsonl") as sink:
        sink.lines(
            F.json_lines(
                [
                    ("case_id", case_id, False),
                    ("contact_id", contact_ids(state.contact_of[cp]), False),
                    ("account_text", typed, False),
                    ("case_type", pa.array(CASE_TYPES[r.integers(0, 6, kc)]), False),
                    ("status", pa.array(np.where(closed_, "CLOSED", "OPEN")), False),
                    ("opened_at", F.iso_minutes(_local(midnight, opened)), False),
                    ("closed_at", closed_at, False),
                ],
                kc,
            )
        )
        sel = pa.array(bad)
        log.add(
            "crm.account_format",
            file=sink.rel,
            feed="crm_case",
            column="account_text",
            key_fields=("case_id",),
            rows=np.nonzero(bad)[0] + 1,
            keys=case_id.filter(sel).to_pylist(),
            delivered=typed.filter(sel).to_pylist(),
            clean=clean.filter(sel).to_pylist(),
        )
    # interactions: half belong to one of today's cases
    ki = min(int(r.binomial(n, 0.005)), len(known) * 5) if len(known) else 0
    on_case = (r.random(ki) < 0.5) & (kc > 0)
    case_pick = r.integers(0, max(kc, 1), ki)
    ip = np.where(
        on_case,
        cp[np.minimum(case_pick, max(kc - 1, 0))] if kc else 0,
        known[r.integers(0, len(known), ki)] if ki else 0,
    )
    inum = state.next_interaction + np.arange(ki)
    state.next_interaction += ki
    iid = F.cat("00T", F.zpad(inum, 15))
    unlinked = r.random(ki) < rate(params, "crm.unlinked_interaction", d)
    typed, bad, clean = _typed_account(params, d, r, world.account_num[ip], ~unlinked)
    account_text = pc.if_else(pa.array(unlinked), pa.scalar(None, pa.string()), typed)
    channel = I_CHANNELS[r.integers(0, 4, ki)]
    secs = r.integers(7 * 3600, 22 * 3600, ki)
    local = F.iso_minutes(_local(midnight, secs))
    utc = r.random(ki) < rate(params, "crm.utc_timestamp", d)
    utc_text = F.iso_minutes(_local(midnight, secs + utc_shift))
    started = pc.if_else(pa.array(utc), utc_text, local)
    case_text = pc.if_else(
        pa.array(on_case),
        F.cat("500", F.zpad(state.next_case - kc + case_pick, 15)),
        pa.scalar(None, pa.string()),
    )
    with deliveries.open("crm", "crm_interaction", day, "jsonl") as sink:
        sink.lines(
            F.json_lines(
                [
                    ("interaction_id", iid, False),
                    ("contact_id", contact_ids(state.contact_of[ip]), False),
                    ("case_id", case_text, False),
                    ("account_text", account_text, False),
                    ("channel", pa.array(channel), False),
                    ("started_at", started, False),
                    ("duration_seconds", F.as_str(r.integers(30, 1800, ki)), True),
                    ("reason", pa.array(REASONS[r.integers(0, len(REASONS), ki)]), False),
                ],
                ki,
            )
        )
        for cls, m, col, delivered, cl in (
            ("crm.unlinked_interaction", unlinked, "account_text", account_text, clean),
            ("crm.account_format", bad, "account_text", account_text, clean),
            ("crm.utc_timestamp", utc, "started_at", started, local),
        ):
            sel = pa.array(m)
            log.add(
                cls,
                file=sink.rel,
                feed="crm_interaction",
                column=col,
                key_fields=("interaction_id",),
                rows=np.nonzero(m)[0] + 1,
                keys=iid.filter(sel).to_pylist(),
                delivered=delivered.filter(sel).to_pylist(),
                clean=cl.filter(sel).to_pylist(),
            )
