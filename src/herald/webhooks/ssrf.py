"""Refusing webhook URLs that point into the operator's own network (SSRF).

Checked twice: when an endpoint is saved (the host's current addresses) and on every delivery, where the
resolver refuses to connect to a forbidden address, so a DNS answer that changes after creation (DNS
rebinding) cannot reach an internal service.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import time
from urllib.parse import urlsplit

# host → (when the answer expires, its addresses). Saving an endpoint checks its host inside a write
# transaction; routers resolve it first (``prefetch``), so the lookup never runs under the write lock.
_ANSWERS: dict[str, tuple[float, list[str]]] = {}
ANSWER_SECONDS = 60.0


class ForbiddenAddress(ValueError):
    """The URL's host is, or resolves to, an address webhooks may not call."""


# NAT64's well-known prefix (RFC 6052): the last 32 bits are the IPv4 address the packet goes to.
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# Local-use NAT64 (RFC 8215): translated inside one network, never a public destination.
LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _destinations(ip: IPAddress) -> list[IPAddress]:
    """The addresses a packet to ``ip`` really reaches: the IPv4 address inside an IPv4-mapped, 6to4,
    NAT64 or Teredo address (Teredo: its server and its client), else ``ip`` itself."""
    if isinstance(ip, ipaddress.IPv4Address):
        return [ip]
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    if ip.sixtofour is not None:
        return [ip.sixtofour]
    if ip.teredo is not None:
        return list(ip.teredo)
    if ip in NAT64:
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    return [ip]


def _is_global(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and (ip.is_site_local or ip in LOCAL_NAT64):
        return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def is_public_address(address: str) -> bool:
    """Only globally routable destinations: ``ipaddress``'s ``is_global``, with IPv6 site-local, multicast
    and reserved addresses refused, and IPv4-mapped, 6to4, NAT64 and Teredo forms judged by the address
    inside (``2002:7f00:1::`` is 127.0.0.1 behind a 6to4 relay)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return all(_is_global(destination) for destination in _destinations(ip))


def literal_address(host: str) -> str | None:
    """The host itself when it is an IP literal (aiohttp connects to those without asking a resolver)."""
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


def _resolve(host: str) -> list[str]:
    cached = _ANSWERS.get(host)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    addresses = [str(info[4][0]) for info in infos]
    if len(_ANSWERS) > 10_000:
        _ANSWERS.clear()
    _ANSWERS[host] = (time.monotonic() + ANSWER_SECONDS, addresses)
    return addresses


def prefetch(url: str) -> None:
    """Resolve ``url``'s host now (outside any transaction) so that ``check_url`` finds the answer."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:  # malformed; the check inside the transaction names the problem
        return
    if host and literal_address(host) is None:
        with contextlib.suppress(OSError, UnicodeError):
            _resolve(host)


def check_url(url: str, *, allow_private: bool) -> None:
    """Raise ForbiddenAddress when ``url``'s host is or resolves to a non-public address, or does not
    resolve at all. A no-op with ``allow_private``."""
    if allow_private:
        return
    host = urlsplit(url).hostname or ""
    literal = literal_address(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            addresses = _resolve(host)
        except (OSError, UnicodeError) as error:
            raise ForbiddenAddress(f"the host {host!r} does not resolve") from error
    for address in addresses:
        if not is_public_address(address):
            raise ForbiddenAddress(f"the host {host!r} resolves to a private or local address")
