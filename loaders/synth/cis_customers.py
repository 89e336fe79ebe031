"""S1 CIS customers (business partners): one row per partner, with the CIS customer defects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loaders.synth import formats as F
from loaders.synth import people as P
from loaders.synth import vocab
from loaders.synth.defects import DefectLog, rate
from loaders.synth.formats import Sink
from loaders.synth.manifest import Truth
from loaders.synth.params import GenerateParams, rng
from loaders.synth.world import PARTNER_BASE, World

CHUNK = 250_000
NAT = np.datetime64("NaT", "D")


@dataclass(frozen=True)
class PartnerRows:
    """Customer rows to write: one per business partner."""

    num: np.ndarray
    kind: np.ndarray  # 0 primary, 1 move-in duplicate, 2 placeholder
    premise: np.ndarray  # mailing address premise
    move_in: np.ndarray
    people: P.People  # person == -1 for placeholders
    same_as: np.ndarray  # for duplicates: the person's primary partner number


def world_partners(world: World, idx: np.ndarray) -> PartnerRows:
    """The world's partners `idx` as rows."""
    person = world.partner_person[idx]
    ppl = P.People.of(world, np.maximum(person, 0))
    ppl = P.People(
        person, ppl.first, ppl.last, ppl.is_org, ppl.area, ppl.exch, ppl.line, ppl.domain, ppl.birth
    )
    same = np.where(world.partner_kind[idx] == 1, PARTNER_BASE + np.maximum(person, 0), -1)
    return PartnerRows(
        world.partner_num[idx],
        world.partner_kind[idx],
        world.partner_premise[idx],
        world.partner_move_in[idx],
        ppl,
        same,
    )


def write_customers(
    world: World,
    params: GenerateParams,
    d: int,
    rows: PartnerRows,
    action: str,
    changed_on: date | None,
    sink: Sink,
    log: DefectLog,
    truth: Truth,
) -> None:
    """Write customer rows (in chunks), injecting the CIS customer defects and recording identities."""
    for lo in range(0, len(rows.num), CHUNK):
        sl = slice(lo, lo + CHUNK)
        part = PartnerRows(
            rows.num[sl],
            rows.kind[sl],
            rows.premise[sl],
            rows.move_in[sl],
            P.People(*(getattr(rows.people, f)[sl] for f in P.People.__dataclass_fields__)),
            rows.same_as[sl],
        )
        _customer_chunk(world, params, d, part, action, changed_on, sink, log, truth, lo)


def _customer_chunk(
    world: World,
    params: GenerateParams,
    d: int,
    rows: PartnerRows,
    action: str,
    changed_on: date | None,
    sink: Sink,
    log: DefectLog,
    truth: Truth,
    lo: int,
) -> None:
    n = len(rows.num)
    r = rng(params.seed, "cis_customer", d, lo)
    ppl = rows.people
    real = rows.kind != 2
    placeholder = ~real
    std_name = ppl.cis_name()
    name = std_name
    variant = (rows.kind == 1) & (ppl.person % 3 > 0) & ~ppl.is_org
    initial = F.cat(ppl.last_name(), pc.utf8_slice_codeunits(ppl.first_name(), 0, 1), sep=" ")
    name = pc.if_else(pa.array(variant), initial, name)
    name = pc.if_else(pa.array(placeholder), F.take(vocab.PLACEHOLDER_NAMES, rows.num % 4), name)
    email = pc.if_else(pa.array(placeholder | ((rows.kind == 1) & (ppl.person % 2 == 0))), "", ppl.email())
    phone = pc.if_else(pa.array(placeholder), "", ppl.phone_raw())
    street, unit = P.street_std(world, rows.premise), P.unit_std(world, rows.premise)
    birth = np.where(real & ~ppl.is_org, ppl.birth, NAT)
    move_in = rows.move_in
    created = F.yyyymmdd(rows.move_in)
    changed = created if changed_on is None else pa.array([f"{changed_on:%Y%m%d}"] * n)
    row_no = sink.rows + 1 + np.arange(n)
    pid = P.partner_ids(rows.num)

    def mask(name_: str, eligible: np.ndarray) -> np.ndarray:
        return eligible & (r.random(n) < rate(params, name_, d))

    multi = mask("cis.multi_party_name", real & (rows.kind == 0) & ~ppl.is_org)
    estate = r.random(n) < 0.5
    partner_first = F.take(vocab.FIRST_NAMES, (ppl.first + 7) % len(vocab.FIRST_NAMES))
    joint = F.cat(ppl.last_name(), " ", ppl.first_name(), " & ", partner_first)
    est = F.cat("ESTATE OF ", ppl.first_name(), " ", ppl.last_name())
    name = pc.if_else(pa.array(multi), pc.if_else(pa.array(estate), est, joint), name)
    fake = mask("cis.fake_contact", real)
    fake_email = fake & (r.random(n) < 0.5)
    fake_phone = fake & ~fake_email
    true_email, true_phone = ppl.email(), ppl.phone_e164()
    delivered_email = pc.if_else(pa.array(fake_email), F.take(vocab.FAKE_EMAILS, rows.num % 4), email)
    delivered_phone = pc.if_else(pa.array(fake_phone), F.take(vocab.FAKE_PHONES, rows.num % 4), phone)
    var = mask("cis.address_variant", real)
    v_street = pc.if_else(pa.array(var), P.street_variant(world, rows.premise), street)
    v_unit = pc.if_else(pa.array(var), P.unit_variant(world, rows.premise), unit)
    mi = move_in.astype("datetime64[D]")
    mi_str = F.yyyymmdd(mi)
    day_, month_ = pc.utf8_slice_codeunits(mi_str, 6, 8), pc.utf8_slice_codeunits(mi_str, 4, 6)
    dnum = np.asarray(pc.cast(day_, pa.int64()))
    mnum = np.asarray(pc.cast(month_, pa.int64()))
    swap = mask("cis.day_month_swap", real & (dnum <= 12) & (dnum != mnum))
    swapped = F.cat(pc.utf8_slice_codeunits(mi_str, 0, 4), day_, month_)
    mi_out = pc.if_else(pa.array(swap), swapped, mi_str)

    sink.lines(
        F.cat(
            pid,
            action,
            pc.if_else(pa.array(ppl.is_org & real), "2", "1"),
            name,
            delivered_email,
            delivered_phone,
            v_street,
            v_unit,
            P.city(world, rows.premise),
            P.state(world, rows.premise),
            P.zip5(world, rows.premise),
            F.yyyymmdd(birth),
            mi_out,
            created,
            changed,
            sep="|",
        )
    )

    def rec(
        cls: str,
        m: np.ndarray,
        column: str | None,
        delivered: pa.Array | None = None,
        clean: pa.Array | None = None,
        **extra: Any,
    ) -> None:
        sel = pa.array(m)
        log.add(
            cls,
            file=sink.rel,
            feed="cis_customer",
            column=column,
            key_fields=("partner_id",),
            rows=row_no[m],
            keys=pid.filter(sel).to_pylist(),
            delivered=None if delivered is None else delivered.filter(sel).to_pylist(),
            clean=None if clean is None else clean.filter(sel).to_pylist(),
            **extra,
        )  # type: ignore[arg-type]

    rec(
        "cis.multi_party_name",
        multi,
        "full_name",
        name,
        std_name,
        person_id=P.person_ids(ppl.person[multi]).to_pylist(),
    )
    rec(
        "cis.fake_contact",
        fake_email,
        "email",
        delivered_email,
        pa.nulls(n, pa.string()),
        true_value=true_email.filter(pa.array(fake_email)).to_pylist(),
    )
    rec(
        "cis.fake_contact",
        fake_phone,
        "phone",
        delivered_phone,
        pa.nulls(n, pa.string()),
        true_value=true_phone.filter(pa.array(fake_phone)).to_pylist(),
    )
    rec(
        "cis.address_variant",
        var,
        "mail_street",
        v_street,
        street,
        delivered_unit=v_unit.filter(pa.array(var)).to_pylist(),
        clean_unit=unit.filter(pa.array(var)).to_pylist(),
    )
    rec("cis.day_month_swap", swap, "move_in_date", mi_out, mi_str)
    rec("cis.placeholder_customer", placeholder, "full_name", name, pa.nulls(n, pa.string()))
    dup = rows.kind == 1
    rec(
        "cis.duplicate_customer",
        dup,
        None,
        None,
        None,
        same_person_as=P.partner_ids(rows.same_as[dup]).to_pylist(),
        person_id=P.person_ids(ppl.person[dup]).to_pylist(),
    )
    truth.add("cis", "cis_customer", sink.rel, row_no, pid, P.person_ids(ppl.person))
