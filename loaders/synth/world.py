"""The one consistent world every source describes: people, premises, accounts, service points, meters.

Everything is a numpy array indexed by entity number; strings are built only when a file is written.
Drawn once per seed from its own random stream, so every source sees the same truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from loaders.synth import vocab
from loaders.synth.defects import rate
from loaders.synth.params import GenerateParams, rng

PREMISES_PER_TRANSFORMER = 8
TRANSFORMERS_PER_FEEDER = 40

PARTNER_BASE, DUP_PARTNER_BASE, MOVEIN_PARTNER_BASE, PLACEHOLDER_BASE = (
    1_000_000,
    5_000_000,
    6_000_000,
    9_000_000,
)
ACCOUNT_BASE, PREMISE_BASE, GIS_ONLY_PREMISE_BASE = 200_000_000, 3_000_000, 8_000_000
SERIAL_BASE = {"current": 10_000_000, "previous": 20_000_000, "exchange": 30_000_000}


@dataclass(frozen=True)
class World:
    """Entity arrays. Index conventions are documented per field group."""

    # people: index = person number (the true customer id is P<8 digits>)
    n_persons: int
    first: np.ndarray
    last: np.ndarray
    is_org: np.ndarray
    birth: np.ndarray  # datetime64[D]
    area: np.ndarray
    exch: np.ndarray
    line: np.ndarray
    email_domain: np.ndarray
    # premises: 0..n_persons-1 are the persons' homes, then vacant premises
    n_premises: int
    street: np.ndarray
    direction: np.ndarray
    suffix: np.ndarray
    house_no: np.ndarray
    unit: np.ndarray  # 0 = no unit, else APT n
    city: np.ndarray
    zip2: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    commercial: np.ndarray
    transformer: np.ndarray
    created: np.ndarray
    # partners: primary (one per person), move-in duplicates, placeholders (vacant premises)
    partner_num: np.ndarray
    partner_person: np.ndarray  # -1 for placeholders
    partner_kind: np.ndarray  # 0 primary, 1 duplicate, 2 placeholder
    partner_move_in: np.ndarray
    partner_premise: np.ndarray  # mailing address = this premise
    # accounts
    account_num: np.ndarray
    account_partner: np.ndarray  # index into partner arrays
    account_premise: np.ndarray
    account_open: np.ndarray
    account_close: np.ndarray  # NaT = open
    account_cycle: np.ndarray  # bill cycle 1..21
    # service points (one current meter each; some also list a previous, removed meter)
    sp_premise: np.ndarray
    sp_commodity: np.ndarray  # 0 electric, 1 gas, 2 water
    sp_multiplier: np.ndarray
    sp_dials: np.ndarray
    sp_install: np.ndarray
    sp_removed: np.ndarray  # meter removed before the run (disconnected premise): no reads expected
    sp_has_previous: np.ndarray  # a previous meter was exchanged out before the run
    sp_exchange_day: np.ndarray  # day index of an exchange during the run, -1 none
    sp_base_daily: np.ndarray  # mean daily usage in milli-units (Wh, milli-CCF)
    sp_register0: np.ndarray  # register reading at the start of day 1 (units, float)
    sp_rollover_day: np.ndarray  # day index whose read has wrapped past 10^dials, -1 none
    # network truth and the two systems that disagree with it
    oms_transformer: np.ndarray  # per premise, the outage system's (possibly stale) map
    gis_transformer: np.ndarray  # per premise, GIS's (possibly wrong) link

    @property
    def n_partners(self) -> int:
        return len(self.partner_num)

    @property
    def n_accounts(self) -> int:
        return len(self.account_num)

    @property
    def n_sps(self) -> int:
        return len(self.sp_premise)

    def serial_num(self, sp: np.ndarray, which: str = "current") -> np.ndarray:
        """Meter serial numbers (without the commodity letter) of service points `sp`."""
        return SERIAL_BASE[which] + np.asarray(sp, dtype=np.int64)

    def account_of_premise(self) -> np.ndarray:
        """For each premise, its active account (or -1)."""
        out = np.full(self.n_premises, -1, dtype=np.int64)
        active = np.isnat(self.account_close)
        out[self.account_premise[active]] = np.nonzero(active)[0]
        return out


def _dates(r: np.random.Generator, lo: np.datetime64, hi: np.datetime64, n: int) -> np.ndarray:
    span = int((hi - lo).astype(int))
    return lo + r.integers(0, span, n).astype("timedelta64[D]")


def build_world(params: GenerateParams) -> World:
    """Draw the world for `params` (deterministic per seed)."""
    r = rng(params.seed, "world")
    n = params.customers
    start = np.datetime64(params.start, "D")

    # People
    first = r.integers(0, len(vocab.FIRST_NAMES), n)
    last = r.integers(0, len(vocab.LAST_NAMES), n)
    is_org = r.random(n) < 0.03
    birth = _dates(r, start - 365 * 90, start - 365 * 19, n)
    area = r.integers(0, len(vocab.AREA_CODES), n)
    exch = r.integers(201, 990, n)
    exch = np.where(exch % 100 == 11, exch + 1, exch)  # N11 exchanges are service codes
    line = r.integers(0, 10000, n)
    email_domain = r.integers(0, len(vocab.EMAIL_DOMAINS), n)

    # Premises: persons' homes, then vacant ones with a placeholder customer
    n_vac = int(r.binomial(n, rate(params, "cis.placeholder_customer")))
    n_prem = n + n_vac
    order = r.permutation(n_prem)  # homes and vacancies interleave along the streets
    slot = np.empty(n_prem, dtype=np.int64)
    slot[order] = np.arange(n_prem)
    transformer = slot // PREMISES_PER_TRANSFORMER
    feeder = transformer // TRANSFORMERS_PER_FEEDER
    n_streets = len(vocab.STREETS)
    city = feeder % len(vocab.CITIES)
    street = (transformer * 7) % n_streets
    direction = (transformer // n_streets) % len(vocab.DIR_STD)
    suffix = (street + transformer // (n_streets * 5)) % len(vocab.SUFFIX_STD)
    house_no = 100 + 2 * (slot % PREMISES_PER_TRANSFORMER) + 20 * (transformer // n_streets)
    unit = np.where(r.random(n_prem) < 0.3, r.integers(1, 40, n_prem), 0)
    zip2 = (transformer // 25) % 90 + 1
    clat = np.array([c[3] for c in vocab.CITIES])[city]
    clon = np.array([c[4] for c in vocab.CITIES])[city]
    # transformers sit on a grid around the city centre; premises a few metres apart
    gx, gy = (transformer * 37) % 400 - 200, (transformer * 91) % 400 - 200
    lat = np.round(clat + gy * 0.0006 + r.normal(0, 0.00005, n_prem), 6)
    lon = np.round(clon + gx * 0.0007 + r.normal(0, 0.00005, n_prem), 6)
    commercial = r.random(n_prem) < 0.08
    created = _dates(r, start - 365 * 60, start - 30, n_prem)

    # Partners
    dup_rate = rate(params, "cis.duplicate_customer")
    dup_person = np.nonzero(r.random(n) < dup_rate)[0]
    n_dup = len(dup_person)
    move_in = np.maximum(_dates(r, start - 365 * 25, start - 1, n), birth + 365 * 18)
    dup_move_in = _dates(r, start - 365 * 3, start - 1, n_dup)
    partner_num = np.concatenate(
        [
            PARTNER_BASE + np.arange(n),
            DUP_PARTNER_BASE + np.arange(n_dup),
            PLACEHOLDER_BASE + np.arange(n_vac),
        ]
    )
    partner_person = np.concatenate([np.arange(n), dup_person, np.full(n_vac, -1)])
    partner_kind = np.concatenate([np.zeros(n, np.int8), np.ones(n_dup, np.int8), np.full(n_vac, 2, np.int8)])
    # a duplicated person's original partner lived elsewhere before (their closed account's premise)
    old_premise = (dup_person + 1 + r.integers(0, max(n - 1, 1), n_dup)) % max(n, 1)
    primary_premise = np.arange(n)
    primary_premise[dup_person] = old_premise
    primary_move_in = move_in.copy()
    primary_move_in[dup_person] = np.minimum(move_in[dup_person], dup_move_in - 400)
    partner_premise = np.concatenate([primary_premise, dup_person, n + np.arange(n_vac)])
    partner_move_in = np.concatenate([primary_move_in, dup_move_in, _dates(r, start - 900, start - 1, n_vac)])

    # Accounts: each person's active one (held by the duplicate partner if there is one), the closed
    # account of every duplicated person's original partner, placeholder accounts on vacant premises.
    holder = np.arange(n)
    holder[dup_person] = n + np.arange(n_dup)
    account_partner = np.concatenate([holder, dup_person, n + n_dup + np.arange(n_vac)])
    account_premise = np.concatenate([np.arange(n), old_premise, n + np.arange(n_vac)])
    account_open = partner_move_in[account_partner]
    n_acc = len(account_partner)
    account_close = np.full(n_acc, np.datetime64("NaT"), dtype="datetime64[D]")
    account_close[n : n + n_dup] = dup_move_in - 1
    account_order = r.permutation(n_acc)  # account numbers are not in partner order
    account_num = ACCOUNT_BASE + account_order
    account_cycle = 1 + r.integers(0, 21, n_acc)

    # Service points: electric at every premise, gas at 25%, water at 15%
    has_gas = r.random(n_prem) < 0.25
    has_water = r.random(n_prem) < 0.15
    sp_premise = np.concatenate([np.arange(n_prem), np.nonzero(has_gas)[0], np.nonzero(has_water)[0]])
    sp_commodity = np.concatenate(
        [
            np.zeros(n_prem, np.int8),
            np.ones(int(has_gas.sum()), np.int8),
            np.full(int(has_water.sum()), 2, np.int8),
        ]
    )
    order = np.argsort(sp_premise * 3 + sp_commodity, kind="stable")
    sp_premise, sp_commodity = sp_premise[order], sp_commodity[order]
    n_sp = len(sp_premise)
    is_e = sp_commodity == 0
    ct = is_e & commercial[sp_premise] & (r.random(n_sp) < 0.4)
    sp_multiplier = np.where(ct, r.choice(np.array([20, 40, 80, 120]), n_sp), 1)
    sp_dials = np.where(is_e, r.choice(np.array([5, 6]), n_sp), np.where(sp_commodity == 1, 5, 6))
    sp_install = _dates(r, start - 365 * 15, start - 60, n_sp)
    vacant_sp = sp_premise >= n
    sp_removed = vacant_sp & (r.random(n_sp) < 0.3)
    sp_has_previous = ~sp_removed & (r.random(n_sp) < 0.03)
    exch_rate = rate(params, "mdm.meter_exchange")
    if params.days > 1:
        p_any = 1 - (1 - exch_rate) ** (params.days - 1)
        chosen = ~sp_removed & (r.random(n_sp) < p_any)
        sp_exchange_day = np.where(chosen, r.integers(1, params.days, n_sp), -1)
    else:
        sp_exchange_day = np.full(n_sp, -1)
    base = np.where(is_e, 30_000, np.where(sp_commodity == 1, 1_500, 250)).astype(np.float64)
    base *= np.where(commercial[sp_premise], 8.0, 1.0) * r.lognormal(0, 0.4, n_sp)
    sp_base_daily = base
    cap = 10.0**sp_dials
    reg0 = r.random(n_sp) * cap * 0.85
    # meters whose register wraps during the run: start just below 10^dials
    roll = ~sp_removed & (sp_exchange_day < 0) & (r.random(n_sp) < rate(params, "mdm.register_rollover"))
    roll &= params.days > 1
    sp_rollover_day = np.where(roll, r.integers(1, max(params.days, 2), n_sp), -1)

    # Network truth is `transformer`; the outage system's map is stale for some premises and GIS links
    # some to a neighbouring transformer.
    n_tx = int(transformer.max()) + 1 if n_prem else 1
    stale = r.random(n_prem) < rate(params, "workorders.stale_transformer_map")
    oms_transformer = np.where(stale, (transformer + 1) % n_tx, transformer)
    wrong = r.random(n_prem) < rate(params, "gis.wrong_transformer")
    gis_transformer = np.where(wrong, (transformer + n_tx - 1) % n_tx, transformer)

    # Narrow dtypes keep the 2M-customer world near 300 MB; arithmetic on them is done in int64 by callers
    # that could overflow (ids are widened where they are formatted).
    # Narrow dtypes keep the 2M-customer world near 300 MB; callers widen to int64 wherever arithmetic
    # could overflow (ids are widened where they are formatted).
    narrow = {
        np.int16: (
            first,
            last,
            area,
            exch,
            line,
            email_domain,
            street,
            direction,
            suffix,
            unit,
            city,
            zip2,
            account_cycle,
            sp_multiplier,
            sp_dials,
            sp_exchange_day,
            sp_rollover_day,
        ),
        np.int32: (
            house_no,
            transformer,
            oms_transformer,
            gis_transformer,
            partner_person,
            partner_premise,
            account_partner,
            account_premise,
            sp_premise,
        ),
        np.float32: (sp_base_daily,),
    }
    small = {id(a): a.astype(t) for t, arrays in narrow.items() for a in arrays}

    def n_(a: np.ndarray) -> np.ndarray:
        return small.get(id(a), a)

    return World(
        n_persons=n,
        first=n_(first),
        last=n_(last),
        is_org=n_(is_org),
        birth=n_(birth),
        area=n_(area),
        exch=n_(exch),
        line=n_(line),
        email_domain=n_(email_domain),
        n_premises=n_prem,
        street=n_(street),
        direction=n_(direction),
        suffix=n_(suffix),
        house_no=n_(house_no),
        unit=n_(unit),
        city=n_(city),
        zip2=n_(zip2),
        lat=n_(lat),
        lon=n_(lon),
        commercial=n_(commercial),
        transformer=n_(transformer),
        created=n_(created),
        partner_num=n_(partner_num),
        partner_person=n_(partner_person),
        partner_kind=n_(partner_kind),
        partner_move_in=n_(partner_move_in),
        partner_premise=n_(partner_premise),
        account_num=n_(account_num),
        account_partner=n_(account_partner),
        account_premise=n_(account_premise),
        account_open=n_(account_open),
        account_close=n_(account_close),
        account_cycle=n_(account_cycle),
        sp_premise=n_(sp_premise),
        sp_commodity=n_(sp_commodity),
        sp_multiplier=n_(sp_multiplier),
        sp_dials=n_(sp_dials),
        sp_install=n_(sp_install),
        sp_removed=n_(sp_removed),
        sp_has_previous=n_(sp_has_previous),
        sp_exchange_day=n_(sp_exchange_day),
        sp_base_daily=n_(sp_base_daily),
        sp_register0=n_(reg0),
        sp_rollover_day=n_(sp_rollover_day),
        oms_transformer=n_(oms_transformer),
        gis_transformer=n_(gis_transformer),
    )
