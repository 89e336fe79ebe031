"""Text of people and places, built column-wise: names, emails, phones, addresses (standard and variant)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loaders.synth import formats as F
from loaders.synth import vocab
from loaders.synth.world import World


@dataclass(frozen=True)
class People:
    """Attributes of a set of people (world persons, or people who appear during the run)."""

    person: np.ndarray  # true person number
    first: np.ndarray
    last: np.ndarray
    is_org: np.ndarray
    area: np.ndarray
    exch: np.ndarray
    line: np.ndarray
    domain: np.ndarray
    birth: np.ndarray

    @staticmethod
    def of(world: World, persons: np.ndarray) -> People:
        """The world's persons `persons`."""
        p = np.asarray(persons, dtype=np.int64)
        return People(
            p,
            world.first[p],
            world.last[p],
            world.is_org[p],
            world.area[p],
            world.exch[p],
            world.line[p],
            world.email_domain[p],
            world.birth[p],
        )

    def first_name(self) -> pa.Array:
        return F.take(vocab.FIRST_NAMES, self.first)

    def last_name(self) -> pa.Array:
        return F.take(vocab.LAST_NAMES, self.last)

    def cis_name(self) -> pa.Array:
        """CIS convention: 'LAST FIRST' for persons, 'LAST <suffix>' for organisations."""
        org = F.cat(
            self.last_name(), F.take(vocab.ORG_SUFFIXES, self.person % len(vocab.ORG_SUFFIXES)), sep=" "
        )
        return pc.if_else(pa.array(self.is_org), org, F.cat(self.last_name(), self.first_name(), sep=" "))

    def email(self) -> pa.Array:
        """The person's true email: first.last<n>@domain, lowercase."""
        local = F.cat(self.first_name(), ".", self.last_name(), F.as_str(self.person))
        return pc.utf8_lower(F.cat(local, "@", F.take(vocab.EMAIL_DOMAINS, self.domain)))

    def phone_e164(self) -> pa.Array:
        """The person's true phone in E.164."""
        return F.cat("+1", F.take(vocab.AREA_CODES, self.area), F.as_str(self.exch), F.zpad(self.line, 4))

    def phone_raw(self) -> pa.Array:
        """The phone as a clerk typed it: (512) 555-0134, 512-555-0134 or 5125550134 (by person)."""
        a, e, ln = F.take(vocab.AREA_CODES, self.area), F.as_str(self.exch), F.zpad(self.line, 4)
        style = pa.array(self.person % 3)
        s0 = F.cat("(", a, ") ", e, "-", ln)
        s1 = F.cat(a, "-", e, "-", ln)
        s2 = F.cat(a, e, ln)
        return pc.if_else(pc.equal(style, 0), s0, pc.if_else(pc.equal(style, 1), s1, s2))


def street_std(world: World, prem: np.ndarray) -> pa.Array:
    """USPS Pub 28 street line: '123 N MAIN ST'."""
    d = F.take(vocab.DIR_STD, world.direction[prem])
    d = pc.if_else(pc.equal(d, ""), d, F.cat(d, " "))
    return F.cat(
        F.as_str(world.house_no[prem]),
        " ",
        d,
        F.take(vocab.STREETS, world.street[prem]),
        " ",
        F.take(vocab.SUFFIX_STD, world.suffix[prem]),
    )


def street_variant(world: World, prem: np.ndarray) -> pa.Array:
    """The same street spelled out in mixed case: '123 North Main Street'."""
    d = pc.utf8_title(F.take(vocab.DIR_LONG, world.direction[prem]))
    d = pc.if_else(pc.equal(d, ""), d, F.cat(d, " "))
    return F.cat(
        F.as_str(world.house_no[prem]),
        " ",
        d,
        pc.utf8_title(F.take(vocab.STREETS, world.street[prem])),
        " ",
        pc.utf8_title(F.take(vocab.SUFFIX_LONG, world.suffix[prem])),
    )


def unit_std(world: World, prem: np.ndarray) -> pa.Array:
    """'APT 4' or ''."""
    u = world.unit[prem]
    return pc.if_else(pa.array(u > 0), F.cat("APT ", F.as_str(u)), "")


def unit_variant(world: World, prem: np.ndarray) -> pa.Array:
    """'#4' or ''."""
    u = world.unit[prem]
    return pc.if_else(pa.array(u > 0), F.cat("#", F.as_str(u)), "")


def city(world: World, prem: np.ndarray) -> pa.Array:
    return F.take(vocab.CITY_NAMES, world.city[prem])


def state(world: World, prem: np.ndarray) -> pa.Array:
    return F.take(vocab.CITY_STATES, world.city[prem])


def zip5(world: World, prem: np.ndarray) -> pa.Array:
    return F.cat(F.take(vocab.CITY_ZIP3, world.city[prem]), F.zpad(world.zip2[prem], 2))


def partner_ids(nums: np.ndarray) -> pa.Array:
    """CIS business partner ids: 10 digits, zero-padded."""
    return F.zpad(nums, 10)


def account_ids(nums: np.ndarray) -> pa.Array:
    """CIS contract accounts: 12 digits, zero-padded."""
    return F.zpad(nums, 12)


def premise_ids(prem: np.ndarray) -> pa.Array:
    """CIS premise ids: 10 digits, zero-padded."""
    return F.zpad(3_000_000 + np.asarray(prem, dtype=np.int64), 10)


def person_ids(person: np.ndarray) -> pa.Array:
    """True person ids (the golden customer identity): 'P' + 8 digits; '' for no person."""
    p = np.asarray(person, dtype=np.int64)
    return pc.if_else(pa.array(p >= 0), F.cat("P", F.zpad(np.maximum(p, 0), 8)), "")
