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


def _hex_ids(rng: np.random.Generator, n: int, nbytes: int = 16) -> np.ndarray:
    raw = rng.bytes(n * nbytes).hex().encode()
    return np.frombuffer(raw, dtype=f"S{2 * nbytes}").astype(str)


def _uuid(hex32: np.ndarray) -> np.ndarray:
    arr = pa.array(hex32)
    parts = [pc.utf8_slice_codeunits(arr, a, b) for a, b in ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32))]
    return np.asarray(pc.binary_join_element_wise(*parts, "-").to_numpy(zero_copy_only=False)).astype(str)


def _join(*parts, sep: str = "") -> np.ndarray:
    """Element-wise string concatenation of arrays/scalars (Arrow compute: fast on 100k+ rows)."""
    arrays = [pa.array(p).cast(pa.string()) if isinstance(p, np.ndarray) else p for p in parts]
    return np.asarray(pc.binary_join_element_wise(*arrays, sep).to_numpy(zero_copy_only=False)).astype(str)


def _ipv4(rng: np.random.Generator, first: np.ndarray) -> np.ndarray:
    rest = rng.integers(1, 255, size=(len(first), 3))
    return _join(first, rest[:, 0], rest[:, 1], rest[:, 2], sep=".")


@dataclass
class Population:
    """Users (index `u`) and devices (index `d`); bot devices come last with `device_user == -1`."""

    country: np.ndarray          # int8 index into spec.COUNTRIES
    timezone: np.ndarray         # str
    locale: np.ndarray           # str
    email: np.ndarray            # str, lower-case
    customer_id: np.ndarray      # str ("cus_...")
    activity: np.ndarray         # float, relative visit propensity
    registered: np.ndarray       # bool: has an account at the start of the world
    email_opt_in: np.ndarray     # bool: newsletter subscriber when registered
    adblock: np.ndarray          # bool: tracker never receives this user's events
    holdout: np.ndarray          # bool: in the user holdout of spec.HOLDOUT_CHANNEL
    consent_advertising: np.ndarray
    consent_analytics: np.ndarray
    variant: np.ndarray          # int8 (n_experiments, n_users)
    device_user: np.ndarray      # int64, -1 for bots
    device_anonymous_id: np.ndarray
    device_id: np.ndarray
    device_ip: np.ndarray
    device_user_agent: np.ndarray
    device_timezone: np.ndarray
    device_locale: np.ndarray
    user_first_device: np.ndarray
    user_n_devices: np.ndarray

    @property
    def n_users(self) -> int:
        return len(self.country)

    @property
    def bot_devices(self) -> np.ndarray:
        return np.flatnonzero(self.device_user < 0)


def build_population(seed: int, scale: float) -> Population:
    """Draw the users and devices of a world (`spec.USERS_PER_SCALE * scale` users, at least 2,000)."""
    rng = stream(seed, "population")
    n = max(2000, int(round(spec.USERS_PER_SCALE * scale)))
    shares = np.array([c.share for c in spec.COUNTRIES])
    country = rng.choice(len(spec.COUNTRIES), size=n, p=shares / shares.sum()).astype(np.int8)
    timezone = np.empty(n, dtype=object)
    locale = np.empty(n, dtype=object)
    for i, c in enumerate(spec.COUNTRIES):
        m = country == i
        timezone[m] = np.array(c.timezones)[rng.integers(0, len(c.timezones), m.sum())]
        locale[m] = c.locale
    timezone = timezone.astype(str)
    locale = locale.astype(str)
    first_name = FIRST_NAMES[rng.integers(0, len(FIRST_NAMES), n)]
    last_name = LAST_NAMES[rng.integers(0, len(LAST_NAMES), n)]
    numbers = rng.integers(1, 9999, n)
    domain = MAIL_DOMAINS[rng.integers(0, len(MAIL_DOMAINS), n)]
    local = _join(first_name, ".", last_name, numbers.astype(str))
    # make e-mails unique: append the user index where a draw repeats
    _, first_idx = np.unique(_join(local, "@", domain), return_index=True)
    dup = np.ones(n, dtype=bool)
    dup[first_idx] = False
    local[dup] = _join(local[dup], ".", np.flatnonzero(dup).astype(str))
    email = _join(local, "@", domain)
    customer_id = _join("cus_", np.char.zfill(np.arange(1, n + 1).astype(str), 7))
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
    ua = np.array(spec.USER_AGENTS)[rng.integers(0, len(spec.USER_AGENTS), nd)]
    first_octet = np.empty(nd, dtype=np.int64)
    for i, c in enumerate(spec.COUNTRIES):
        m = country[device_user] == i
        first_octet[m] = np.array(c.ip_octets)[rng.integers(0, len(c.ip_octets), m.sum())]
    ip = _ipv4(rng, first_octet)
    anon = _uuid(_hex_ids(rng, nd))
    dev_id = _hex_ids(rng, nd, 8)

    # bot devices: datacenter addresses, automation user agents
    prefixes = np.array(spec.DATACENTER_PREFIXES)[rng.integers(0, len(spec.DATACENTER_PREFIXES), N_BOT_DEVICES)]
    bot_ip = _join(prefixes, rng.integers(0, 255, N_BOT_DEVICES).astype(str),
                   rng.integers(1, 255, N_BOT_DEVICES).astype(str), sep=".")
    bot_ua = np.array(spec.BOT_USER_AGENTS)[rng.integers(0, len(spec.BOT_USER_AGENTS), N_BOT_DEVICES)]
    return Population(
        country=country, timezone=timezone, locale=locale, email=email.astype(str), customer_id=customer_id.astype(str),
        activity=activity, registered=registered, email_opt_in=email_opt_in, adblock=adblock, holdout=holdout,
        consent_advertising=consent_advertising, consent_analytics=consent_analytics, variant=variant,
        device_user=np.concatenate([device_user, np.full(N_BOT_DEVICES, -1)]),
        device_anonymous_id=np.concatenate([anon, _uuid(_hex_ids(rng, N_BOT_DEVICES))]),
        device_id=np.concatenate([dev_id, _hex_ids(rng, N_BOT_DEVICES, 8)]),
        device_ip=np.concatenate([ip, bot_ip]),
        device_user_agent=np.concatenate([ua, bot_ua]),
        device_timezone=np.concatenate([timezone[device_user], np.full(N_BOT_DEVICES, "UTC")]),
        device_locale=np.concatenate([locale[device_user], np.full(N_BOT_DEVICES, "en-US")]),
        user_first_device=user_first_device, user_n_devices=n_dev,
    )
