"""The fixed cast of the simulated world: countries, channels, ad accounts and vendors.

Everything here is a constant of the world's design; what varies with the seed (users, names, the daily
budgets, the noise) is drawn in the other modules. Money amounts are USD per day at scale 1.0 unless a name
says otherwise; `scale` multiplies users, budgets and conversions, never prices or rates.

The causal model of each channel (documented in `docs/world.md` and written to `truth/manifest.json`):

* geometric adstock of the daily spend, normalized so a constant spend `s` has adstock `s`
  (Jin, Wang, Sun, Chan, Koehler 2017, "Bayesian Methods for Media Mix Modeling with Carryover and Shape
  Effects", Google);
* a Hill response `beta * x**n / (x**n + K**n)` of the adstocked spend `x`: expected incremental orders per day
  (same paper, eq. 3). `beta` and `K` are derived from `incremental_orders` at `budget` and `k_mult`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

#: the default first day of a world, so worlds are reproducible without naming a date
DEFAULT_START = date(2026, 1, 1)

SITE = "https://shop.example.com"


@dataclass(frozen=True)
class Country:
    code: str
    currency: str
    timezones: tuple[str, ...]
    locale: str
    share: float
    #: first octet pool for residential IPv4 addresses (documentation-free, plausible ISP ranges)
    ip_octets: tuple[int, ...]


COUNTRIES: tuple[Country, ...] = (
    Country("US", "USD", ("America/New_York", "America/Chicago", "America/Los_Angeles"), "en-US", 0.45, (24, 67, 73, 98)),
    Country("CA", "CAD", ("America/Toronto", "America/Vancouver"), "en-CA", 0.08, (70, 99, 142)),
    Country("GB", "GBP", ("Europe/London",), "en-GB", 0.15, (81, 86, 109)),
    Country("DE", "EUR", ("Europe/Berlin",), "de-DE", 0.14, (79, 84, 91)),
    Country("FR", "EUR", ("Europe/Paris",), "fr-FR", 0.08, (82, 88, 90)),
    Country("AU", "AUD", ("Australia/Sydney", "Australia/Melbourne"), "en-AU", 0.10, (101, 110, 124)),
)
COUNTRY_INDEX = {c.code: i for i, c in enumerate(COUNTRIES)}

#: USD per unit of each currency on the first day; the daily series is a seeded random walk around it
FX_BASE = {"USD": 1.0, "EUR": 1.085, "GBP": 1.268, "AUD": 0.662, "CAD": 0.737}


@dataclass(frozen=True)
class Account:
    """One ad account (Google customer, Meta ad account, TikTok advertiser, vendor contract ...)."""

    platform: str
    account_id: str
    name: str
    currency: str
    timezone: str
    #: countries whose users this account's ads reach
    countries: tuple[str, ...]
    #: share of the channel's budget this account spends
    share: float


@dataclass(frozen=True)
class Channel:
    """A marketing channel with its buying model and its true response curve."""

    key: str
    #: the `source` that reports its spend: an emulated API (`google_ads` ...) or `vendor` (first_party CSV)
    platform: str
    #: cpc (pay per click), cpm (pay per 1000 impressions), commission, flat_fee, per_send
    cost_model: str
    budget: float
    incremental_orders: float
    k_mult: float
    hill_n: float
    adstock: float
    #: price: USD per click (cpc) or per 1000 impressions (cpm)
    price: float = 0.0
    #: click-through rate per impression
    ctr: float = 0.01
    #: share of incremental orders converting in a session of the channel's own click (else a later visit)
    same_session: float = 0.6
    #: landing URL convention: utm_source, utm_medium, click id parameter (None: no click id)
    utm_source: str = ""
    utm_medium: str = ""
    click_id: str | None = None
    referrer: str = ""
    accounts: tuple[Account, ...] = field(default_factory=tuple)
    #: a channel people watch or hear rather than click (CTV, voice): its incremental orders come from the audience
    #: it reaches (direct/organic visits), not from its handful of clickers
    view_only: bool = False

    @property
    def beta(self) -> float:
        """Hill ceiling: expected incremental orders/day as spend grows without bound (scale 1)."""
        return self.incremental_orders * (1.0 + self.k_mult**self.hill_n)

    @property
    def half_saturation(self) -> float:
        """Hill `K`: adstocked USD/day giving half of `beta` (scale 1)."""
        return self.budget * self.k_mult


def _acct(platform: str, account_id: str, name: str, currency: str, tz: str, countries: tuple[str, ...],
          share: float) -> Account:
    return Account(platform, account_id, name, currency, tz, countries, share)


CHANNELS: tuple[Channel, ...] = (
    Channel("paid_search_google", "google_ads", "cpc", 800.0, 16.0, 1.2, 1.0, 0.2, price=1.10, ctr=0.045,
            same_session=0.75, utm_source="google", utm_medium="cpc", click_id="gclid", referrer="https://www.google.com/",
            accounts=(_acct("google_ads", "4820193746", "Example Shop US", "USD", "America/New_York", ("US", "CA"), 0.68),
                      _acct("google_ads", "7391028465", "Example Shop EU", "EUR", "Europe/Berlin", ("DE", "FR", "GB"), 0.32))),
    Channel("paid_search_microsoft", "microsoft_ads", "cpc", 150.0, 3.0, 1.0, 1.0, 0.2, price=0.90, ctr=0.038,
            same_session=0.75, utm_source="bing", utm_medium="cpc", click_id="msclkid", referrer="https://www.bing.com/",
            accounts=(_acct("microsoft_ads", "180543210", "Example Shop US", "USD", "America/Chicago", ("US", "CA"), 1.0),)),
    Channel("paid_social_meta", "meta_ads", "cpm", 350.0, 9.0, 1.5, 1.3, 0.5, price=9.0, ctr=0.012,
            same_session=0.45, utm_source="facebook", utm_medium="paid_social", click_id="fbclid",
            referrer="https://l.facebook.com/",
            accounts=(_acct("meta_ads", "120000000001", "Example Shop NA", "USD", "America/Los_Angeles", ("US", "CA"), 0.7),
                      _acct("meta_ads", "120000000002", "Example Shop UK & EU", "GBP", "Europe/London", ("GB", "DE", "FR"), 0.3))),
    Channel("paid_social_tiktok", "tiktok_ads", "cpm", 180.0, 4.0, 1.5, 1.5, 0.4, price=6.0, ctr=0.009,
            same_session=0.4, utm_source="tiktok", utm_medium="paid_social", click_id="ttclid",
            referrer="https://www.tiktok.com/",
            accounts=(_acct("tiktok_ads", "7100000000000000001", "Example Shop APAC+US", "AUD", "Australia/Sydney", ("AU", "US"), 1.0),)),
    Channel("affiliate", "affiliate", "commission", 120.0, 3.0, 1.3, 1.0, 0.3, price=1.0, ctr=1.0,
            same_session=0.7, utm_source="impact", utm_medium="affiliate", click_id="irclickid",
            accounts=(_acct("affiliate", "IRk7Q2xExampleShop1", "Example Shop program", "USD", "America/New_York",
                            ("US", "CA", "GB", "DE", "FR", "AU"), 1.0),)),
    Channel("influencer", "influencer", "flat_fee", 110.0, 2.0, 1.5, 1.0, 0.6, price=0.0, ctr=1.0,
            same_session=0.5, utm_source="instagram", utm_medium="influencer", click_id=None,
            referrer="https://l.instagram.com/"),
    Channel("email", "esp", "per_send", 6.0, 4.0, 1.0, 1.0, 0.3, price=0.0012, ctr=0.025,
            same_session=0.6, utm_source="newsletter", utm_medium="email", click_id=None,
            accounts=(_acct("esp", "us21", "Example Shop newsletter", "USD", "UTC", ("US", "CA", "GB", "DE", "FR", "AU"), 1.0),)),
    Channel("display_dsp", "vendor", "cpm", 250.0, 2.0, 2.0, 1.2, 0.6, price=3.0, ctr=0.0015,
            same_session=0.3, utm_source="dsp", utm_medium="display", click_id="dclid",
            referrer="https://news.example.org/",
            accounts=(_acct("vendor", "dsp_trade_desk", "Programmatic display", "USD", "UTC", ("US", "CA", "GB", "DE", "FR", "AU"), 1.0),)),
    Channel("ctv", "vendor", "cpm", 400.0, 4.0, 1.8, 1.8, 0.8, price=25.0, ctr=0.00004,
            same_session=0.0, utm_source="streamtv", utm_medium="ctv", click_id=None,
            accounts=(_acct("vendor", "ctv_streamtv", "Connected TV", "USD", "America/New_York", ("US", "CA"), 1.0),),
            view_only=True),
    Channel("voice", "vendor", "cpm", 60.0, 0.6, 1.5, 1.0, 0.5, price=12.0, ctr=0.0004,
            same_session=0.0, utm_source="voiceads", utm_medium="voice", click_id=None,
            accounts=(_acct("vendor", "voice_audioreach", "Voice assistant placements", "USD", "UTC", ("US", "GB"), 1.0),),
            view_only=True),
    Channel("in_app", "vendor", "cpc", 40.0, 1.0, 1.2, 1.0, 0.3, price=0.50, ctr=0.008,
            same_session=0.5, utm_source="appnet", utm_medium="in_app", click_id=None,
            accounts=(_acct("vendor", "inapp_appnet", "In-app placements", "CAD", "America/Toronto", ("US", "CA"), 1.0),)),
    Channel("retail_media", "vendor", "cpc", 60.0, 2.0, 1.2, 1.0, 0.3, price=0.80, ctr=0.02,
            same_session=0.6, utm_source="marketplace", utm_medium="retail_media", click_id=None,
            referrer="https://marketplace.example.net/",
            accounts=(_acct("vendor", "retail_marketplace", "Marketplace sponsored products", "EUR", "Europe/Berlin",
                            ("DE", "FR"), 1.0),)),
)
CHANNEL_INDEX = {c.key: i for i, c in enumerate(CHANNELS)}

#: unpaid traffic: sessions per day at scale 1 (share of converting baseline orders they carry is in `BASELINE`)
ORGANIC_SOURCES: dict[str, dict] = {
    "organic_search": {"sessions": 420.0, "referrers": ("https://www.google.com/", "https://www.bing.com/", "https://duckduckgo.com/")},
    "direct": {"sessions": 300.0, "referrers": ("",)},
    "referral": {"sessions": 90.0, "referrers": ("https://blog.example.org/best-gear", "https://forum.example.net/t/123")},
    "organic_social": {"sessions": 80.0, "referrers": ("https://www.instagram.com/", "https://www.facebook.com/", "https://t.co/")},
}


@dataclass(frozen=True)
class Baseline:
    """Orders that happen without any paid cause (scale 1)."""

    #: expected first orders per day with no paid cause
    new_orders: float = 30.0
    #: share of them whose converting visit is a brand-search ad click (paid, but not incremental)
    via_brand_search: float = 0.25
    #: daily repeat-purchase hazard of an existing customer, decaying with `repeat_half_life_days`
    repeat_hazard: float = 0.006
    repeat_half_life_days: float = 45.0
    #: weekday multipliers (Monday first) of all demand
    weekday: tuple[float, ...] = (1.0, 0.97, 0.98, 1.02, 1.08, 1.12, 0.95)


BASELINE = Baseline()

#: sessions per hour of the day (UTC), a blend of the countries' evenings
DIURNAL = (2.2, 2.6, 2.9, 2.6, 2.1, 1.7, 1.6, 2.0, 2.8, 3.6, 4.2, 4.5,
           4.6, 4.7, 4.9, 5.1, 5.3, 5.2, 5.0, 4.9, 4.6, 4.2, 3.4, 2.7)

#: population at scale 1
USERS_PER_SCALE = 160_000


@dataclass(frozen=True)
class Experiment:
    """A site experiment: users are split by a hash of their id; `uplift` multiplies the order rate."""

    experiment_id: str
    name: str
    variations: tuple[str, ...]
    #: true relative uplift in orders per exposed user, per variation (first is control, 0)
    uplift: tuple[float, ...]
    #: share of users assigned to each variation
    weights: tuple[float, ...]
    #: first and last day (indices into the world) the experiment runs; negative: counted from the end
    start_frac: float
    end_frac: float
    #: share of a variation's exposure events lost (sample-ratio mismatch); one entry per variation
    exposure_loss: tuple[float, ...] = ()
    kind: str = "ab"


EXPERIMENTS: tuple[Experiment, ...] = (
    Experiment("exp_checkout_button", "Checkout button copy", ("control", "buy_now"), (0.0, 0.20), (0.5, 0.5),
               0.05, 0.95, kind="ab"),
    Experiment("exp_aa_homepage", "A/A homepage", ("a1", "a2"), (0.0, 0.0), (0.5, 0.5), 0.0, 1.0, kind="aa"),
    # four arms share the traffic, so the winner needs a large effect to ship after the Holm correction at the
    # default scale (90 days, ~10k exposed people per arm: power about 99 % for +30 %, 37 % for +12 %)
    Experiment("exp_hero_mvt", "Hero image multivariate", ("control", "lifestyle", "product", "video"),
               (0.0, 0.30, -0.10, 0.05), (0.25, 0.25, 0.25, 0.25), 0.1, 0.9, kind="mvt"),
    Experiment("exp_free_shipping_banner", "Free shipping banner", ("control", "banner"), (0.0, 0.08), (0.5, 0.5),
               0.3, 1.0, exposure_loss=(0.0, 0.12), kind="srm"),
)

#: the user holdout for incrementality: this share of users never sees this platform's ads
HOLDOUT_CHANNEL = "paid_social_meta"
HOLDOUT_SHARE = 0.10

#: creative test on Meta: in the first ad set of each Meta campaign, ad 2's CTR is this much higher than ad 1's
CREATIVE_TEST_CTR_UPLIFT = 0.25
#: creative fatigue: CTR multiplier exp(-FATIGUE_RATE * impressions / audience) (audience: users reachable)
FATIGUE_RATE = 0.05

PRODUCTS: tuple[tuple[str, str, float], ...] = (
    ("sku-1001", "Trail Running Shoe", 129.0), ("sku-1002", "Merino Base Layer", 79.0),
    ("sku-1003", "Rain Shell Jacket", 189.0), ("sku-1004", "Insulated Bottle", 34.0),
    ("sku-1005", "Hiking Socks 3-Pack", 24.0), ("sku-1006", "Daypack 22L", 99.0),
    ("sku-1007", "Headlamp", 45.0), ("sku-1008", "Trekking Poles", 119.0),
    ("sku-1009", "Sun Hoodie", 64.0), ("sku-1010", "Camp Mug", 19.0),
    ("sku-1011", "Down Vest", 149.0), ("sku-1012", "Gaiters", 39.0),
)

USER_AGENTS: tuple[str, ...] = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
)
BOT_USER_AGENTS: tuple[str, ...] = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.109 Safari/537.36",
    "python-requests/2.31.0",
    "Mozilla/5.0 (compatible; AdsBot-Clicker/1.0)",
)
#: datacenter prefixes used by the click-fraud bursts (cloud provider ranges)
DATACENTER_PREFIXES: tuple[str, ...] = ("34.102", "35.190", "52.14", "104.196")
