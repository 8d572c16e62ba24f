"""Refusing webhook URLs that point into the operator's own network (SSRF).

Checked twice: when an endpoint is saved (the host's current addresses) and on every delivery, where the
resolver refuses to connect to a forbidden address, so a DNS answer that changes after creation (DNS
rebinding) cannot reach an internal service.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit


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
            infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError) as error:
            raise ForbiddenAddress(f"the host {host!r} does not resolve") from error
        addresses = [str(info[4][0]) for info in infos]
    for address in addresses:
        if not is_public_address(address):
            raise ForbiddenAddress(f"the host {host!r} resolves to a private or local address")
