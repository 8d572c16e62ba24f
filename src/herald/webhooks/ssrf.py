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


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


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
