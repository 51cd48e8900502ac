"""Pseudonymisation of personal identifiers, shared by the collector and the ingestion.

Raw IP addresses and e-mail addresses never reach the warehouse or the collector's files; both sides
call these functions so that the same visitor gets the same pseudonym whichever way the event came in.

- `hash_ip` keys an HMAC-SHA256 (RFC 2104, FIPS 198-1) with a secret, so the hash cannot be reversed by
  enumerating the 2^32 IPv4 addresses, and returns the truncated network as a coarse, non-identifying
  location: /24 for IPv4 and /48 for IPv6, the truncation Google Analytics applies for IP anonymization
  and the usual size of a customer site prefix (RFC 6177).
- `hash_email` is a salted SHA-256 (FIPS 180-4) of the normalised (trimmed, lower-cased) address, the
  salt and the address joined by ``:`` (the form SQL engines compute as ``sha256(salt || ':' || email)``).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket

#: prefix lengths kept in clear, by IP version
IPV4_PREFIX = 24
IPV6_PREFIX = 48
_IPV4_MAPPED = bytes(10) + b"\xff\xff"


def _as_bytes(secret: bytes | str) -> bytes:
    return secret.encode("utf-8") if isinstance(secret, str) else secret


def _canonical(ip: str) -> tuple[str, str]:
    """The address in canonical text form and its truncated network (/24 or /48) in CIDR notation.

    Fast path with the C library's `inet_pton`/`inet_ntop` (RFC 5952 text); spellings only `ipaddress`
    accepts (scoped IPv6 such as ``fe80::1%eth0``) and ``::/96`` addresses go the slow way, so the text is
    always the one `ipaddress` gives.
    """
    text = ip.strip()
    try:
        packed = socket.inet_pton(socket.AF_INET, text)
    except OSError:
        try:
            packed = socket.inet_pton(socket.AF_INET6, text)
        except OSError:
            return _canonical_slow(text)
        if packed[:12] == _IPV4_MAPPED:
            packed = packed[12:]
        elif packed[:12] == bytes(12):  # inet_ntop writes these as ::a.b.c.d (deprecated IPv4-compatible form)
            return _canonical_slow(text)
    if len(packed) == 4:
        return socket.inet_ntop(socket.AF_INET, packed), "%d.%d.%d.0/24" % (packed[0], packed[1], packed[2])
    network = socket.inet_ntop(socket.AF_INET6, packed[: IPV6_PREFIX // 8] + bytes(16 - IPV6_PREFIX // 8))
    return socket.inet_ntop(socket.AF_INET6, packed), f"{network}/{IPV6_PREFIX}"


def _canonical_slow(ip: str) -> tuple[str, str]:
    address = ipaddress.ip_address(ip)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    prefix = IPV4_PREFIX if address.version == 4 else IPV6_PREFIX
    return str(address), str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def hash_ip(ip: str, key: bytes | str) -> tuple[str, str]:
    """Pseudonymise one IP address.

    Returns `(ip_hash, ip_prefix)`: `ip_hash` is the hex HMAC-SHA256 of the address in canonical text
    form (IPv4-mapped IPv6 addresses count as their IPv4 address) under `key`; `ip_prefix` is the
    network in CIDR notation, e.g. ``("…", "203.0.113.0/24")`` or ``("…", "2001:db8:85a3::/48")``.

    Raises `ValueError` when `ip` is not an IPv4 or IPv6 address, or when `key` is empty.
    """
    secret = _as_bytes(key)
    if not secret:
        raise ValueError("the IP hashing key is empty")
    address, network = _canonical(ip)
    return hmac.new(secret, address.encode("ascii"), hashlib.sha256).hexdigest(), network


def ip_prefix(ip: str) -> str:
    """The truncated network of `ip` alone (/24 or /48), kept when no user-level pseudonym may be stored."""
    return _canonical(ip)[1]


def hash_email(email: str, salt: bytes | str) -> str:
    """Hex SHA-256 of ``salt + ":" + address`` with the address trimmed and lower-cased (UTF-8)."""
    normalised = email.strip().lower().encode("utf-8")
    return hashlib.sha256(_as_bytes(salt) + b":" + normalised).hexdigest()


def erased_key_hash(kind: str, value: str, salt: bytes | str) -> str:
    """Hex SHA-256 of ``salt + ":" + kind + ":" + value``: how an erased subject's identifier is remembered.

    `kind` names the identifier (``user``, ``anonymous_id``, ``device_id``, ``email_hash``, ``order_id``,
    ``session_id``), so equal strings of different kinds never collide. SQL computes the same value as
    ``sha256(salt || ':' || kind || ':' || value)``.
    """
    return hashlib.sha256(_as_bytes(salt) + f":{kind}:{value}".encode("utf-8")).hexdigest()
