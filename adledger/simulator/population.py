"""The people of the world: users, their devices, consent, registration and experiment assignments.

All columns are NumPy arrays indexed by user (or device); strings are built vectorized once per world.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from adledger.simulator import spec
from adledger.simulator.rng import stream

FIRST_NAMES = np.array(["anna", "ben", "carla", "david", "emma", "felix", "grace", "hugo", "ines", "jonas", "kate",
                        "liam", "mia", "noah", "olivia", "paul", "quinn", "rosa", "sam", "tara", "umar", "vera",
                        "will", "xena", "yusuf", "zoe"])
LAST_NAMES = np.array(["smith", "muller", "martin", "brown", "schmidt", "dubois", "wilson", "taylor", "fischer",
                       "moreau", "jones", "weber", "lee", "walker", "wagner", "bernard", "clark", "hall"])
MAIL_DOMAINS = np.array(["example.com", "example.net", "example.org", "mail.example.com"])
#: bot devices used by the click-fraud bursts (not people: user index -1)
N_BOT_DEVICES = 24


def _flat(arr) -> pa.Array:
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _hex_ids(rng: np.random.Generator, n: int, nbytes: int = 16) -> pa.Array:
    """`n` random lower-case hex strings of `2 * nbytes` characters (Arrow strings, no Python objects)."""
    raw = rng.bytes(n * nbytes).hex().encode()
    return _flat(pa.array(np.frombuffer(raw, dtype=f"S{2 * nbytes}")).cast(pa.string()))


def _uuid(hex32: pa.Array) -> pa.Array:
    parts = [pc.utf8_slice_codeunits(hex32, a, b) for a, b in ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32))]
    return _flat(pc.binary_join_element_wise(*parts, "-"))


def _join(*parts, sep: str = "") -> pa.Array:
    """Element-wise string concatenation of arrays (NumPy or Arrow) and scalars, as an Arrow array."""
    arrays = [_flat(pa.array(p)).cast(pa.string()) if isinstance(p, np.ndarray) else p for p in parts]
    return _flat(pc.binary_join_element_wise(*arrays, sep))


def _pick(values: np.ndarray, codes: np.ndarray) -> pa.Array:
    return pa.array(list(values)).take(pa.array(codes))


def _vocab(values: tuple[str, ...], codes: np.ndarray) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), pa.array(list(values)))


def _ipv4(rng: np.random.Generator, first: np.ndarray) -> pa.Array:
    rest = rng.integers(1, 255, size=(len(first), 3))
    return _join(first, rest[:, 0], rest[:, 1], rest[:, 2], sep=".")


#: every timezone and locale a user can have (dictionary values of the per-user codes)
TIMEZONES = tuple(sorted({tz for c in spec.COUNTRIES for tz in c.timezones} | {"UTC"}))
LOCALES = tuple(sorted({c.locale for c in spec.COUNTRIES}))
USER_AGENTS = spec.USER_AGENTS + spec.BOT_USER_AGENTS


@dataclass
class Population:
    """Users (index `u`) and devices (index `d`); bot devices come last with `device_user == -1`.

    Strings are Arrow arrays (`take` them with index arrays); small vocabularies are dictionary arrays.
    """

    country: np.ndarray          # int8 index into spec.COUNTRIES
    timezone: pa.DictionaryArray
    email: pa.Array              # lower-case, unique
    customer_id: pa.Array        # "cus_0000001"
    activity: np.ndarray         # float, relative visit propensity
    registered: np.ndarray       # bool: has an account at the start of the world
    email_opt_in: np.ndarray     # bool: newsletter subscriber when registered
    adblock: np.ndarray          # bool: tracker never receives this user's events
    holdout: np.ndarray          # bool: in the user holdout of spec.HOLDOUT_CHANNEL
    consent_advertising: np.ndarray
    consent_analytics: np.ndarray
    variant: np.ndarray          # int8 (n_experiments, n_users)
    device_user: np.ndarray      # int64, -1 for bots
    device_anonymous_id: pa.Array
    device_id: pa.Array
    device_ip: pa.Array
    device_user_agent: pa.DictionaryArray
    device_timezone: pa.DictionaryArray
    device_locale: pa.DictionaryArray
    user_first_device: np.ndarray
    user_n_devices: np.ndarray

    @property
    def n_users(self) -> int:
        return len(self.country)

    @property
    def bot_devices(self) -> np.ndarray:
        return np.flatnonzero(self.device_user < 0)

    def strings(self, column: str, index: np.ndarray) -> np.ndarray:
        """Python strings of `column` at `index` (for small selections: orders, customers, requests)."""
        arr = getattr(self, column).take(pa.array(np.asarray(index, dtype=np.int64)))
        if isinstance(arr, pa.DictionaryArray):
            arr = arr.dictionary_decode()
        return np.asarray(arr.to_pylist(), dtype=object)


def build_population(seed: int, scale: float) -> Population:
    """Draw the users and devices of a world (`spec.USERS_PER_SCALE * scale` users, at least 2,000)."""
    rng = stream(seed, "population")
    n = max(2000, int(round(spec.USERS_PER_SCALE * scale)))
    shares = np.array([c.share for c in spec.COUNTRIES])
    country = rng.choice(len(spec.COUNTRIES), size=n, p=shares / shares.sum()).astype(np.int8)
    tz_code = np.empty(n, dtype=np.int32)
    locale_code = np.empty(n, dtype=np.int32)
    for i, c in enumerate(spec.COUNTRIES):
        m = country == i
        codes = np.array([TIMEZONES.index(tz) for tz in c.timezones])
        tz_code[m] = codes[rng.integers(0, len(codes), m.sum())]
        locale_code[m] = LOCALES.index(c.locale)
    # e-mails are unique by construction: the number is a permutation of the user indices
    local = _join(_pick(FIRST_NAMES, rng.integers(0, len(FIRST_NAMES), n)),
                  _pick(LAST_NAMES, rng.integers(0, len(LAST_NAMES), n)), sep=".")
    email = _join(local, rng.permutation(n) + 1, "@", _pick(MAIL_DOMAINS, rng.integers(0, len(MAIL_DOMAINS), n)))
    customer_id = _join("cus_", pc.utf8_lpad(pa.array(np.arange(1, n + 1)).cast(pa.string()), 7, "0"))
    activity = rng.lognormal(0.0, 0.9, n)
    registered = rng.random(n) < 0.18
    email_opt_in = rng.random(n) < 0.65
    adblock = rng.random(n) < 0.08
    holdout = rng.random(n) < spec.HOLDOUT_SHARE
    consent_advertising = rng.random(n) > np.where(np.isin(country, [3, 4]), 0.28, 0.12)
    consent_analytics = rng.random(n) > np.where(np.isin(country, [3, 4]), 0.18, 0.06)
    variant = np.empty((len(spec.EXPERIMENTS), n), dtype=np.int8)
    for e, exp in enumerate(spec.EXPERIMENTS):
        variant[e] = rng.choice(len(exp.variations), size=n, p=np.array(exp.weights) / sum(exp.weights))

    n_dev = rng.choice([1, 2, 3], size=n, p=[0.62, 0.28, 0.10])
    device_user = np.repeat(np.arange(n), n_dev)
    user_first_device = np.concatenate([[0], np.cumsum(n_dev)[:-1]])
    nd = len(device_user)
    ua_code = rng.integers(0, len(spec.USER_AGENTS), nd)
    first_octet = np.empty(nd, dtype=np.int64)
    for i, c in enumerate(spec.COUNTRIES):
        m = country[device_user] == i
        first_octet[m] = np.array(c.ip_octets)[rng.integers(0, len(c.ip_octets), m.sum())]
    ip = _ipv4(rng, first_octet)
    anon = _uuid(_hex_ids(rng, nd))
    dev_id = _hex_ids(rng, nd, 8)

    # bot devices: datacenter addresses, automation user agents
    prefixes = np.array(spec.DATACENTER_PREFIXES)[rng.integers(0, len(spec.DATACENTER_PREFIXES), N_BOT_DEVICES)]
    bot_ip = _join(pa.array(list(prefixes)), rng.integers(0, 255, N_BOT_DEVICES), rng.integers(1, 255, N_BOT_DEVICES), sep=".")
    bot_ua = len(spec.USER_AGENTS) + rng.integers(0, len(spec.BOT_USER_AGENTS), N_BOT_DEVICES)
    utc = np.full(N_BOT_DEVICES, TIMEZONES.index("UTC"))
    en_us = np.full(N_BOT_DEVICES, LOCALES.index("en-US"))
    return Population(
        country=country, timezone=_vocab(TIMEZONES, tz_code), email=email, customer_id=customer_id,
        activity=activity, registered=registered, email_opt_in=email_opt_in, adblock=adblock, holdout=holdout,
        consent_advertising=consent_advertising, consent_analytics=consent_analytics, variant=variant,
        device_user=np.concatenate([device_user, np.full(N_BOT_DEVICES, -1)]),
        device_anonymous_id=pa.concat_arrays([anon, _uuid(_hex_ids(rng, N_BOT_DEVICES))]),
        device_id=pa.concat_arrays([dev_id, _hex_ids(rng, N_BOT_DEVICES, 8)]),
        device_ip=pa.concat_arrays([ip, bot_ip]),
        device_user_agent=_vocab(USER_AGENTS, np.concatenate([ua_code, bot_ua])),
        device_timezone=_vocab(TIMEZONES, np.concatenate([tz_code[device_user], utc])),
        device_locale=_vocab(LOCALES, np.concatenate([locale_code[device_user], en_us])),
        user_first_device=user_first_device, user_n_devices=n_dev,
    )
