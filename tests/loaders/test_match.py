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


def test_a_part_split_off_gets_a_new_id_even_when_its_smallest_member_named_the_old_one() -> None:
    """{a, b, c} got its id from a; when a leaves and {b, c} keeps that id, a needs another one."""
    first = assign_golden_ids(pd.Series(["a", "b", "c"]), np.array([0, 0, 0]), {})
    assert set(first) == {_new_id("a")}
    split = assign_golden_ids(pd.Series(["a", "b", "c"]), np.array([0, 1, 1]), dict(first))
    assert split["b"] == split["c"] == _new_id("a") and split["a"] not in {_new_id("a"), None}
    # ... nor the id another new cluster derives in the same run (a key may hold '#'), which keeps its own
    again = assign_golden_ids(pd.Series(["a", "b", "c", "a#1"]), np.array([7, 3, 3, 9]), dict(first))
    assert again["b"] == again["c"] == _new_id("a") and again["a#1"] == _new_id("a#1")
    assert len({again["a"], again["b"], again["a#1"]}) == 3


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


def test_a_record_that_changes_golden_id_has_its_old_xref_row_closed(migrated: Engine, delivery: Path) -> None:
    load_directory(migrated, delivery)
    before = {(s, k): g for s, k, g, cur, _ in _xref(migrated) if cur}
    jane = before[("cis", "0000000002")]
    assert before[("cis", "0000000005")] != jane
    # partner 5 now gives Jane Doe's email and last name: its cluster joins hers, whose id has more members
    day2 = delivery / "cis" / "cis_customer_20260106_delta.dat"
    day2.write_text(CIS["cis_customer"][0] + "\n0000000005|U|P|DOE TOM|jane.doe@mail.com||7 Birch Ct||Springfield|IL|"
                    "62709|00000000|20260106|20260106|20260106\n", encoding="utf-8")
    load_file(migrated, day2)
    match_customers(migrated)
    rows = _xref(migrated)
    tom = [(g, cur, open_) for s, k, g, cur, open_ in rows if (s, k) == ("cis", "0000000005")]
    assert tom == [(before[("cis", "0000000005")], False, False), (jane, True, True)]  # closed, then reopened
    now = {(s, k): g for s, k, g, cur, _ in rows if cur}
    assert sum(1 for *_, cur, open_ in rows if cur and open_) == len(now) == len(before)  # one open row each
    assert all(now[k] == g for k, g in before.items() if k != ("cis", "0000000005"))


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
    """Blocks of 2..MAX_BLOCK rows give every pair once, a before b in node order (position), however they
    are chunked; single rows, missing keys (-1) and blocks beyond MAX_BLOCK give none."""
    from loaders import match

    sizes = {"k1": 1, "k2": 2, "k3": 3, "k7": 7, "big": match.MAX_BLOCK + 1}
    keys = [k for k, n in sizes.items() for _ in range(n)] + [None, None]
    keys = [keys[i] for i in np.random.default_rng(3).permutation(len(keys))]  # blocks interleaved
    codes = pd.factorize(pd.Series(keys, dtype=object))[0]

    def pairs() -> set[tuple[int, int]]:
        out = set()
        for a, b in match._pairs_within(codes):
            out |= set(zip(a.tolist(), b.tolist(), strict=True))
        return out

    whole = pairs()
    monkeypatch.setattr(match, "PAIR_CHUNK", 1)
    assert pairs() == whole
    assert len(whole) == 1 + 3 + 21 and all(a < b for a, b in whole)
    assert all(keys[a] == keys[b] for a, b in whole) and len({keys[a] for a, _ in whole}) == 3


def test_pairs_skipped_by_the_weight_bound_are_exactly_those_that_could_not_link(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Only pairs whose weight could reach the threshold with both names similar are compared by string
    similarity: the links and their weights are the ones comparing every pair gives, on records with typos,
    shared and missing names, emails, phones and addresses."""
    from loaders import match

    rng = np.random.default_rng(11)
    n = 3000
    firsts, lasts = ["john", "jon", "mary", "marie", "ann", "anne", "li", None], ["smith", "smyth", "smithe", None]

    def pick(values: list, k: int) -> list:
        return [values[i] for i in rng.integers(0, len(values), k)]
    df = pd.DataFrame({
        "source": pick(["cis", "crm"], n), "source_key": [f"K{i:05d}" for i in range(n)],
        "first_name_std": pick(firsts, n), "last_name_std": pick(lasts, n),
        "email_std": pick([f"e{i}@x.org" for i in range(6)] + [None] * 3, n),
        "phone_e164": pick([f"+1217555{i:04d}" for i in range(6)] + [None] * 3, n),
        "address_key": pick([f"{i} ELM ST||" for i in range(4)] + [None], n),
        "zip5": pick([f"{62000 + i}" for i in range(150)] + [None], n), "previous_id": [None] * n})
    r = match.Records(df)
    apart = np.arange(r.n)  # every record its own cluster: every pair in a block is a candidate
    bounded = match._probabilistic(r, apart)
    monkeypatch.setattr(match, "_name_bound", lambda x, *_: np.full(len(x), np.inf))
    every = match._probabilistic(r, apart)
    assert 100 < len(every) < 10_000  # links, and many more pairs that do not link
    assert np.array_equal(bounded.a, every.a) and np.array_equal(bounded.b, every.b)
    assert np.array_equal(bounded.score, every.score)  # the same weights, bit for bit


def test_the_probabilistic_rule_links_what_no_rule_did_with_its_fellegi_sunter_weight(
        migrated: Engine, tmp_path: Path) -> None:
    """john smith and john smithe share an email but not a last name, address or phone: no deterministic rule
    links them; in one block (zip5 + 'smit') their weights add up over the threshold. jane smith, same block,
    does not."""
    from loaders.match import FS_LEVELS, FS_THRESHOLD

    people = [("C-1", "john", "smith", "john@smith.org", "1 Elm Rd"), ("C-2", "john", "smithe", "john@smith.org",
              "9 Oak Ave"), ("C-3", "jane", "smith", "jane@q.org", "5 Pine St")]
    lines = [json.dumps(dict(contact_id=cid, first_name=first, last_name=last, email=email, phone="", street=street,
                             city="Springfield", state="IL", zip="62701", created_at="2026-01-05T00:00:00Z",
                             channel="web")) for cid, first, last, email, street in people]
    path = tmp_path / "crm" / "crm_contact_20260105.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    load_file(migrated, path)
    summary = match_customers(migrated)
    assert summary.golden_customers == 2 and summary.links_by_rule == {"probabilistic": 1}

    def w(level: str, agree: bool) -> float:
        m, u = FS_LEVELS[level]
        return float(np.log2(m / u) if agree else np.log2((1 - m) / (1 - u)))

    # first name exact, last name fuzzy (Jaro-Winkler 0.97), email agrees, address disagrees, no phones
    expected = w("first_exact", True) + float(np.log2(FS_LEVELS["last_fuzzy"][0] / FS_LEVELS["last_fuzzy"][1])) \
        + w("email", True) + w("address", False)
    assert expected >= FS_THRESHOLD
    with migrated.connect() as conn:
        pair = conn.execute(sa.text("SELECT key_a, key_b, match_rule, match_score FROM match_pair")).all()
        xref = dict(conn.execute(sa.text("SELECT source_key, golden_customer_id FROM customer_xref "
                                         "WHERE is_current")).all())
    assert [tuple(p[:3]) for p in pair] == [("C-1", "C-2", "probabilistic")]
    assert pair[0][3] == pytest.approx(expected)
    assert xref["C-1"] == xref["C-2"] != xref["C-3"]


def test_survivorship_takes_each_attribute_from_the_best_record_that_has_it(migrated: Engine) -> None:
    """The golden record's name comes from its best record (CIS before CRM, newest batch first); its email,
    phone and address from the best record that has one, the address from one with a zip5 if any has."""
    from loaders.golden import _SURVIVOR

    columns = ["source", "source_key", "first_name_std", "last_name_std", "email_std", "phone_e164", "address_key",
               "zip5", "batch_id"]
    records = [
        ("cis", "0000000001", "ann", "lee", None, None, "1 OAK ST||", None, 10),
        ("crm", "C-1", "annie", "lee", "ann@mail.com", None, "9 ELM ST||62701", "62701", 12),
        ("crm", "C-2", "a", "lee", "old@mail.com", "+12175550100", "5 PINE RD||62702", "62702", 11),
        ("cis", "0000000002", "bo", "kim", "bo@mail.com", None, "2 ASH CT||", None, 10),
        ("cis", "0000000003", "bo", "kim", None, "+12175550111", "3 FIR LN||", None, 11),
    ]
    golden = {"0000000001": "G1", "C-1": "G1", "C-2": "G1", "0000000002": "G2", "0000000003": "G2"}
    with migrated.begin() as conn:
        for values in records:
            r = dict(zip(columns, values, strict=True))
            conn.execute(sa.text(
                "INSERT INTO match_record (source, source_key, first_name_std, last_name_std, email_std, phone_e164, "
                "address_key, zip5, batch_id) VALUES (:source, :source_key, :first_name_std, :last_name_std, "
                ":email_std, :phone_e164, :address_key, :zip5, :batch_id)"), r)
            conn.execute(sa.text(
                "INSERT INTO customer_xref (source, source_key, golden_customer_id, match_rule, valid_from, "
                "is_current) VALUES (:s, :k, :g, 'seed', CURRENT_TIMESTAMP, TRUE)"),
                {"s": r["source"], "k": r["source_key"], "g": golden[r["source_key"]]})
        rows = conn.execute(sa.text(
            f"SELECT golden_customer_id, display_name, email_std, phone_e164, address_std, zip5, "
            f"source_record_count FROM ({_SURVIVOR}) s ORDER BY 1")).all()
    assert [tuple(r) for r in rows] == [
        # CIS Ann is the best record; the newer CRM contact's email and the older one's phone; the address of
        # the newest record with a zip5
        ("G1", "ann lee", "ann@mail.com", "+12175550100", "9 ELM ST", "62701", 3),
        # no zip5 anywhere: the best (newest CIS) record's address; email from the older record, the only one
        ("G2", "bo kim", "bo@mail.com", "+12175550111", "3 FIR LN", None, 2),
    ]
