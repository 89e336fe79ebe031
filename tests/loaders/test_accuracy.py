"""Measured against the truth: generator output (with its manifest) loaded, then every figure compared.

Runs once the generator (`loaders.synth.generator`, issue 3) is on the branch; until then it is skipped.
Thresholds are the issue's: no clean row quarantined, golden customers within 0.5% of the true count;
per defect class, the repairs the loader claims must hold.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from loaders.run import load_directory
from warehouse.engine import create_engine
from warehouse.migrate import migrate

from .helpers import snapshot

synth = pytest.importorskip("loaders.synth.generator", reason="the generator (issue 3) is not on this branch yet")
params_mod = pytest.importorskip("loaders.synth.params")

# class -> minimum share repaired to the manifest's clean value
REPAIR_THRESHOLDS = {
    "cis.stripped_leading_zeros": 1.0,
    "cis.multi_party_name": 1.0,
    "cis.fake_contact": 1.0,
    "cis.address_variant": 1.0,
    "cis.day_month_swap": 1.0,
    "crm.account_format": 1.0,
    "crm.unlinked_interaction": 1.0,  # linked from the case or the contact (loaders.cleanse.links)
    "gis.swapped_coordinates": 1.0,
    "mdm.negative": 1.0,
    "payments.cents_dollars": 0.5,  # card amounts sent in cents are repaired; lockbox dollars-in-cents are not
    # Wh labelled kWh and gallons labelled CCF are repaired; therms labelled CCF differ by 3.7% from the truth
    # and cannot be told from a real read (measured 91% overall on seed 7)
    "mdm.unit_mixup": 0.85,
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, Path]:
    root = tmp_path_factory.mktemp("gen")
    out = root / "out"
    # 2026-10-31 .. 11-02 spans the fall-back day (100 quarter-hours, a repeated 01:xx hour)
    synth.generate(params_mod.GenerateParams(customers=800, days=3, start=date(2026, 10, 31), seed=11, out=out))
    engine = create_engine(f"duckdb:///{root / 'w.duckdb'}")
    migrate(engine)
    summary = load_directory(engine, out)
    assert summary.count("failed") == 0, [b.message for b in summary.batches if b.status == "failed"]
    return engine, out


def test_repairs_match_the_manifest(generated: tuple[Engine, Path]) -> None:
    from loaders.evaluate import evaluate

    ev = evaluate(*generated)
    for name, minimum in REPAIR_THRESHOLDS.items():
        done, total = ev.repair_accuracy.get(name, (0, 0))
        if total:
            assert done / total >= minimum, f"{name}: {done}/{total} repaired"


def test_no_clean_row_is_quarantined(generated: tuple[Engine, Path]) -> None:
    from loaders.evaluate import evaluate

    ev = evaluate(*generated)
    assert ev.clean_rows_quarantined == 0


def test_golden_customers_and_pairwise_matching(generated: tuple[Engine, Path]) -> None:
    from loaders.evaluate import evaluate

    ev = evaluate(*generated)
    assert ev.golden_error <= 0.005, (ev.golden_customers, ev.true_customers)
    assert ev.precision >= 0.99 and ev.recall >= 0.98, (ev.precision, ev.recall)


def test_generator_output_loaded_twice_changes_nothing(generated: tuple[Engine, Path]) -> None:
    engine, out = generated
    before = snapshot(engine)
    again = load_directory(engine, out)
    assert again.count("loaded") == 0
    assert snapshot(engine) == before
