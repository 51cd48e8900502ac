"""IP and e-mail pseudonymisation shared by the collector and the ingestion."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import random

import duckdb
import pytest

from adledger.privacy import hash_email, hash_ip, ip_prefix


def test_hash_ip_is_hmac_sha256_of_the_canonical_address() -> None:
    digest, prefix = hash_ip("203.0.113.77", "k3y")
    assert digest == hmac.new(b"k3y", b"203.0.113.77", hashlib.sha256).hexdigest()
    assert prefix == "203.0.113.0/24"


def test_hash_ip_depends_on_the_key() -> None:
    assert hash_ip("203.0.113.77", b"one")[0] != hash_ip("203.0.113.77", b"two")[0]
    assert hash_ip("203.0.113.77", b"one") == hash_ip("203.0.113.77", "one")


@pytest.mark.parametrize(
    ("ip", "canonical", "prefix"),
    [
        (" 198.51.100.9 ", "198.51.100.9", "198.51.100.0/24"),
        ("::ffff:198.51.100.9", "198.51.100.9", "198.51.100.0/24"),  # IPv4-mapped counts as IPv4
        ("2001:DB8:85a3:0001:0:0:0:1", "2001:db8:85a3:1::1", "2001:db8:85a3::/48"),
        ("2001:db8::1", "2001:db8::1", "2001:db8::/48"),
    ],
)
def test_hash_ip_canonical_forms(ip: str, canonical: str, prefix: str) -> None:
    digest, network = hash_ip(ip, b"k")
    assert digest == hmac.new(b"k", canonical.encode(), hashlib.sha256).hexdigest()
    assert network == prefix
    assert ip_prefix(ip) == prefix


@pytest.mark.parametrize("bad", ["", "not-an-ip", "300.1.1.1", "203.0.113.0/24"])
def test_hash_ip_rejects_non_addresses(bad: str) -> None:
    with pytest.raises(ValueError):
        hash_ip(bad, b"k")


def test_hash_ip_refuses_an_empty_key() -> None:
    with pytest.raises(ValueError, match="empty"):
        hash_ip("203.0.113.77", b"")


def test_hash_email_normalises_and_salts() -> None:
    expected = hashlib.sha256(b"pepper:jane.doe@example.com").hexdigest()
    assert hash_email("  Jane.Doe@Example.COM\n", "pepper") == expected
    assert hash_email("jane.doe@example.com", b"pepper") == expected
    assert hash_email("jane.doe@example.com", "salt") != expected


def test_hash_email_matches_the_sql_form() -> None:
    """Warehouse SQL can compute the same pseudonym as `sha256(salt || ':' || lower(trim(email)))`."""
    sql = duckdb.connect().execute("select sha256('pepper' || ':' || lower(trim(' Jane.Doe@Example.COM ')))")
    assert hash_email(" Jane.Doe@Example.COM ", "pepper") == sql.fetchone()[0]


def test_hash_ip_text_matches_the_ipaddress_module_on_random_addresses() -> None:
    """The C fast path must give `ipaddress`'s canonical text and network for every spelling."""
    rng = random.Random(20261123)
    for _ in range(3000):
        if rng.random() < 0.4:
            text = ".".join(str(rng.randrange(256)) for _ in range(4))
        else:
            hextets = [rng.choice([0, 0, 0, 0xFFFF, rng.randrange(65536)]) for _ in range(8)]
            exploded = ipaddress.IPv6Address(":".join(f"{h:x}" for h in hextets)).exploded
            text = rng.choice([exploded, exploded.upper(), str(ipaddress.IPv6Address(exploded))])
        address = ipaddress.ip_address(text)
        if address.version == 6 and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        network = ipaddress.ip_network(f"{address}/{24 if address.version == 4 else 48}", strict=False)
        assert hash_ip(text, b"k") == (hmac.new(b"k", str(address).encode(), hashlib.sha256).hexdigest(), str(network))
