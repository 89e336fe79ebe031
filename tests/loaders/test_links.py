"""`loaders.cleanse.links` on both engines: a CRM interaction delivered without a readable account takes its case's
account, else its contact's newest loaded one; the raw text stays as delivered and the fact is linked."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from loaders.batch import load_file
from loaders.cleanse import links

from .conftest import CIS, _jsonl, _write


def _contact(cid: str, account: str | None) -> dict:
    return dict(contact_id=cid, first_name="Pat", last_name="Quinn", email=None, phone=None, account_text=account,
                street="1 Lake Dr", city="Springfield", state="IL", zip="62706", created_at="2026-01-05T09:00:00Z",
                channel="web")


def _interaction(iid: str, cid: str, case: str | None, account: str | None) -> dict:
    return dict(interaction_id=iid, contact_id=cid, case_id=case, account_text=account, channel="chat",
                started_at="2026-01-06T10:00:00Z", duration_seconds=60, reason="move in")


def _load(engine: Engine, path: Path) -> None:
    result = load_file(engine, path)
    assert result.status == "loaded", result.message


def test_an_interaction_without_an_account_takes_its_cases_else_its_contacts(migrated: Engine, tmp_path: Path) -> None:
    header = CIS["cis_account"][0]
    _load(migrated, _write(tmp_path / "cis" / "cis_account_20260105.dat", [header] + [
        f"{acct}|I|0000000001|0000000101|ACTIVE|RES-E|01|20200101|00000000"
        for acct in ("1001", "1002", "1009", "1044")]))
    crm = tmp_path / "crm"
    _load(migrated, _jsonl(crm / "crm_contact_20260105.jsonl", [
        _contact("C-1", "0000-0000-1001"), _contact("C-2", "000000001002"), _contact("C-3", None),
        _contact("C-4", "000000001004")]))
    # a newer delivery of C-4 moves it to another account: the newest loaded row is the one linked
    _load(migrated, _jsonl(crm / "crm_contact_20260106.jsonl", [_contact("C-4", "acct 0000-0000-1044")]))
    _load(migrated, _jsonl(crm / "crm_case_20260106.jsonl", [
        dict(case_id="K-1", contact_id="C-1", account_text="000000001009", case_type="billing", status="open",
             opened_at="2026-01-06T09:01:00Z", closed_at=None)]))
    # C-5's only row is in a batch that failed after staging: never published, so never linked
    failed = load_file(migrated, _jsonl(crm / "crm_contact_20260107.jsonl", [_contact("C-5", "000000001005")]),
                       fail_after_staging=True)
    assert failed.status == "failed"
    _load(migrated, _jsonl(crm / "crm_interaction_20260106.jsonl", [
        _interaction("I-1", "C-1", "K-1", "0000-0000-1001"),  # delivered with an account: kept, not the case's
        _interaction("I-2", "C-1", "K-1", None),  # the case's account, not the contact's
        _interaction("I-3", "C-2", None, None),  # the contact's
        _interaction("I-4", "C-2", None, "n/a"),  # unreadable text: the contact's; the text stays
        _interaction("I-5", "C-3", None, None),  # a contact without an account: nothing to link
        _interaction("I-6", "C-4", None, None),  # the contact's newest account
        _interaction("I-7", "C-5", None, None),  # only in a failed batch
        _interaction("I-8", "C-9", "K-9", None),  # unknown contact and case
    ]))
    with migrated.connect() as conn:
        got = {r[0]: tuple(r[1:]) for r in conn.execute(sa.text(
            "SELECT interaction_id, account_text, account_number_std FROM cln_crm_interaction"))}
        linked = dict(conn.execute(sa.text(  # type: ignore[arg-type]
            "SELECT f.interaction_id, f.is_linked_to_account FROM fact_interaction f")).all())
    assert got == {"I-1": ("0000-0000-1001", "000000001001"), "I-2": (None, "000000001009"),
                   "I-3": (None, "000000001002"), "I-4": ("n/a", "000000001002"), "I-5": (None, None),
                   "I-6": (None, "000000001044"), "I-7": (None, None), "I-8": (None, None)}
    assert linked == {"I-1": True, "I-2": True, "I-3": True, "I-4": True, "I-5": False, "I-6": True, "I-7": False,
                      "I-8": False}


def test_other_feeds_are_not_linked(migrated: Engine) -> None:
    with migrated.begin() as conn:
        assert links.link(conn, "crm_case", 1) == 0
