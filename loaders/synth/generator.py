"""Orchestration: build the world, then write every source's deliveries day by day, then the manifest."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np

from loaders.synth import (
    cis_billing,
    cis_master,
    crm,
    gis,
    mdm,
    mdm_intervals,
    mdm_registers,
    payments,
    workorders,
)
from loaders.synth.defects import DefectLog
from loaders.synth.espi import write_espi
from loaders.synth.formats import Deliveries
from loaders.synth.manifest import Truth, write_manifest
from loaders.synth.params import GenerateParams
from loaders.synth.world import build_world

Progress = Callable[[str], None]
STEPS_PER_DAY = 6

PROFILE_NOTES = {
    "full": [
        "every source delivers every day; MDM intervals and register reads cover every meter every day",
    ],
    "utility-month": [
        "utility-scale month: CIS full snapshot then deltas and bills, CRM, payments and work orders "
        "every day; the GIS full export",
        "MDM on day 1 only: register reads for every meter and intervals (and ESPI) for a 5% random sample "
        "of meters (plus any removed meter that reports); no MDM files on later days",
    ],
}


def generate(params: GenerateParams, progress: Progress | None = None) -> Path:
    """Write all deliveries and `manifest.json` into `params.out`; returns the manifest's path.

    Example::

        generate(GenerateParams(customers=1000, days=3, start=date(2026, 11, 1), seed=7, out=Path("out")))
    """
    tick = progress or (lambda _label: None)
    out = params.out
    for source in ("cis", "mdm", "crm", "payments", "workorders", "gis", "_truth"):
        if (out / source).exists():
            shutil.rmtree(out / source)  # a stale file from an earlier run would not be in the manifest
    out.mkdir(parents=True, exist_ok=True)
    world = build_world(params)
    deliveries = Deliveries(out)
    log = DefectLog()
    truth = Truth(out)
    cis_state = cis_master.init_state(world, params)
    bill_state = cis_billing.init_state(world)
    mdm_state = mdm.init_state(world, params)
    crm_state = crm.init_state(world, params)
    pay_state = payments.init_state(params)
    work_state = workorders.init_state(world)
    for d, day in enumerate(params.dates):
        if d == 0:
            cis_master.write_snapshot(world, params, deliveries, log, truth)
        else:
            cis_master.write_delta(world, params, d, cis_state, deliveries, log, truth)
        closed = cis_master.closed_in_run(world, cis_state)
        cis_billing.write_bills(world, params, d, bill_state, deliveries, log, closed)
        tick(f"{day} cis")
        if params.profile == "full" or d == 0:
            usage = mdm.day_usage(world, params, d)
            removed = mdm.removed_reads(world, params, d)
            espi = mdm_intervals.write_intervals(world, params, d, deliveries, log, mdm_state, usage, removed)
            mdm_registers.write_registers(world, params, d, deliveries, log, mdm_state, usage, removed)
            labels = dict(
                zip(espi, mdm.sp_ids(np.array(list(espi), dtype=np.int64)).to_pylist(), strict=True)
            )
            write_espi(day, espi, labels, deliveries)
        tick(f"{day} mdm")
        crm.write_day(world, params, d, crm_state, deliveries, log, truth)
        tick(f"{day} crm")
        payments.write_day(world, params, d, pay_state, deliveries, log, truth, closed)
        tick(f"{day} payments")
        workorders.write_day(world, params, d, work_state, deliveries, log)
        tick(f"{day} workorders")
        if gis.due(params, d):
            gis.write_export(world, params, d, deliveries, log)
        tick(f"{day} gis")
    mdm_intervals.flush_gaps(world, params, log, mdm_state)
    truth_extra = {
        "true_customer_count": world.n_persons + cis_state.new_persons,
        "persons_at_start": world.n_persons,
        "persons_moved_in_during_run": cis_state.new_persons,
        "placeholder_partners": int((world.partner_kind == 2).sum()),
        "note": "person_id is the true golden customer id; '' marks a placeholder (no real person)",
    }
    return write_manifest(params, deliveries, log, truth, truth_extra, PROFILE_NOTES[params.profile])
