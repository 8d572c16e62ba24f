"""The HTTP side of webhook delivery, on aiohttp.

aiohttp rather than httpx: at the concurrency a worker runs (dozens of requests in flight) httpx's
connection pool collapses to a few hundred requests per second while aiohttp keeps near the receiver's
ceiling (measured; see docs/adr/0006-webhook-delivery.md). Redirects are never followed (a 3xx is a failed
attempt), and every address the resolver returns is checked, so a DNS answer that changed since the
endpoint was saved cannot point a delivery into the private network.
"""

from __future__ import annotations

import socket
import time
from types import TracebackType

import aiohttp
import structlog
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver
from yarl import URL

from herald.db.base import utcnow
from herald.webhooks.delivery import parse_retry_after
from herald.webhooks.records import Outcome, Outgoing
from herald.webhooks.ssrf import is_public_address, literal_address

log = structlog.get_logger()
EXCERPT_BYTES = 512


class GuardedResolver(AbstractResolver):
    """Resolves like the default resolver, then refuses hosts whose addresses are not all public."""

    def __init__(self) -> None:
        self._inner = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        if any(not is_public_address(result["host"]) for result in results):
            raise OSError(f"{host} resolves to a private or local address; refused")
        return results

    async def close(self) -> None:
        await self._inner.close()


class Sender:
    """Sends prepared requests over one pooled aiohttp session; never raises for a failed attempt."""

    def __init__(self, *, timeout_s: float, allow_private: bool, concurrency: int) -> None:
        self.timeout_s = timeout_s
        self.allow_private = allow_private
        self.concurrency = concurrency
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Sender:
        connector = aiohttp.TCPConnector(
            limit=self.concurrency,
            resolver=None if self.allow_private else GuardedResolver(),
            ttl_dns_cache=10,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=self.timeout_s),
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._session is not None:
            await self._session.close()

    async def send(self, out: Outgoing) -> Outcome:
        assert self._session is not None, "use Sender as an async context manager"
        started = time.perf_counter()
        status: int | None = None
        error: str | None = None
        excerpt: str | None = None
        retry_after = None
        try:
            url = URL(out.url, encoded=True)
            literal = literal_address(url.host or "")
            if not self.allow_private and literal is not None and not is_public_address(literal):
                raise OSError(f"{literal} is a private or local address; refused")
            async with self._session.request(
                out.method,
                url,
                data=out.body,
                headers=out.headers,
                allow_redirects=False,
            ) as response:
                status = response.status
                chunk = await response.content.read(EXCERPT_BYTES)
                excerpt = chunk.decode("utf-8", errors="replace") or None
                retry_after = parse_retry_after(response.headers.get("Retry-After"), utcnow())
                if 300 <= status < 400:
                    error = f"redirect to {response.headers.get('Location', '?')} not followed"
                elif not 200 <= status < 300:
                    error = f"HTTP {status}"
                if not response.content.at_eof():
                    response.close()  # a long answer: drop the connection rather than read it all
        except TimeoutError:
            error = f"no answer within {self.timeout_s:g} s"
        except (aiohttp.ClientError, OSError) as problem:
            error = str(problem) or type(problem).__name__
        except (
            Exception
        ) as problem:  # anything else about this one request fails this attempt, not the worker
            log.warning("webhook.request_failed", delivery_id=out.delivery_id, error=repr(problem))
            error = f"{type(problem).__name__}: {problem}"
        latency_ms = int((time.perf_counter() - started) * 1000)
        return Outcome(
            delivery_id=out.delivery_id,
            endpoint_id=out.endpoint_id,
            interaction_id=out.interaction_id,
            attempt=out.attempt,
            status=status,
            latency_ms=latency_ms,
            error=error[:1000] if error else None,
            excerpt=excerpt,
            retry_after=retry_after,
            endpoint_failing=out.endpoint_failing,
            lease_until=out.lease_until,
        )
