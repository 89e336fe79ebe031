"""Customer matching: golden ids stable across runs, merges and splits recorded as xref history."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from loaders.batch import load_file
from loaders.match import _new_id, assign_golden_ids, match_customers
from loaders.run import load_directory

from .conftest import CIS


def test_new_clusters_get_ids_derived_from_their_smallest_member() -> None:
    nodes = pd.Series(["cis:2", "cis:1", "crm:9"])
    ids = assign_golden_ids(nodes, np.array([0, 0, 1]), {})
    assert ids["cis:1"] == ids["cis:2"] == _new_id("cis:1") and ids["crm:9"] == _new_id("crm:9")


def test_a_merge_keeps_the_majority_id_and_a_split_gives_the_smaller_part_a_new_id() -> None:
    prev = {"a": "G1", "b": "G1", "c": "G2"}
    merged = assign_golden_ids(pd.Series(["a", "b", "c"]), np.array([0, 0, 0]), prev)
    assert set(merged) == {"G1"}
    split = assign_golden_ids(pd.Series(["a", "b", "c", "d"]), np.array([0, 0, 1, 1]), {"a": "G1", "b": "G1",
                                                                                       "c": "G1", "d": "G1"})
    assert split["a"] == split["b"] == "G1" and split["c"] == split["d"] == _new_id("c")


def _xref(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT source, source_key, golden_customer_id, is_current, valid_to IS NULL FROM customer_xref "
            "ORDER BY source, source_key, valid_from"))]


def test_xref_history_records_a_merge_and_golden_ids_survive(migrated: Engine, delivery: Path) -> None:
    load_directory(migrated, delivery)
    current = {(s, k): g for s, k, g, cur, _ in _xref(migrated) if cur}
    pat, tom = current[("crm", "C-003")], current[("cis", "0000000005")]
    # day 2: CIS learns Pat Quinn's details -> partner 7 and contact C-003 are one customer
    day2 = delivery / "cis" / "cis_customer_20260106_delta.dat"
    day2.write_text(CIS["cis_customer"][0] + "\n0000000007|I|P|QUINN PAT|pat@quinn.org|(217) 555-0177|1 Lake Dr||"
                    "Springfield|IL|62706|00000000|20260106|20260106|00000000\n", encoding="utf-8")
    load_file(migrated, day2)
    match_customers(migrated)
    now = {(s, k): g for s, k, g, cur, _ in _xref(migrated) if cur}
    assert now[("cis", "0000000007")] == now[("crm", "C-003")] == pat  # joined the existing golden customer
    assert now[("cis", "0000000005")] == tom  # untouched customers keep their ids
    assert all(now[k] == g for k, g in current.items())  # no existing record changed golden id
    # one open xref row per record
    assert sum(1 for *_, cur, open_ in _xref(migrated) if cur and open_) == len(now)


def test_phones_shared_by_more_than_five_records_do_not_link(migrated: Engine, tmp_path: Path) -> None:
    lines = [json.dumps(dict(contact_id=f"C-{i}", first_name=name, last_name="Rivera", email=f"{name}@x{i}.org",
                             phone="(217) 555-0142", street=f"{i} Elm Rd", city="Springfield", state="IL",
                             zip=f"6270{i}", created_at="2026-01-05T00:00:00Z", channel="web"))
             for i, name in enumerate(["ana", "ben", "cy", "dee", "eli", "fay"])]
    path = tmp_path / "crm" / "crm_contact_20260105.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    load_file(migrated, path)
    summary = match_customers(migrated)
    assert summary.golden_customers == 6 and "phone_last_name" not in summary.links_by_rule


def test_candidate_pairs_are_the_same_in_any_chunking(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of 2..MAX_BLOCK rows give every pair once, a before b in node order, however they are chunked;
    single rows and blocks beyond MAX_BLOCK give none."""
    from loaders import match

    sizes = {"k1": 1, "k2": 2, "k3": 3, "k7": 7, "big": match.MAX_BLOCK + 1}
    keys = [k for k, n in sizes.items() for _ in range(n)] + [None, None]
    df = pd.DataFrame({"node": [f"n{i:03d}" for i in range(len(keys))][::-1], "key": keys})

    def pairs() -> set[tuple[str, str]]:
        out = set()
        for a, b in match._pairs_within(df, "key"):
            out |= set(zip(df["node"].to_numpy()[a], df["node"].to_numpy()[b], strict=True))
        return out

    whole = pairs()
    monkeypatch.setattr(match, "PAIR_CHUNK", 1)
    assert pairs() == whole
    assert len(whole) == 1 + 3 + 21 and all(a < b for a, b in whole)
    by_key = dict(zip(df["node"], df["key"], strict=True))
    assert all(by_key[a] == by_key[b] for a, b in whole) and np.unique([by_key[a] for a, _ in whole]).size == 3
