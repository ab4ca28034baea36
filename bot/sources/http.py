"""One way to ask a paper source over HTTP: timeouts, bounded retries with backoff, Retry-After.

Every source goes through `fetch`. A request that keeps failing ends in a SourceError that says
what went wrong in a few words; callers decide whether that fails a command or is only logged.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Awaitable, Callable, Collection, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

import httpx

from paperboy.bot.retry_after import retry_after_seconds

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Pace = Callable[[], AbstractAsyncContextManager[None]]

DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
USER_AGENT = "paperboy/0.1 (research paper digest bot; python-httpx)"


class SourceError(Exception):
    """A paper source could not answer: network failure, error status, or a body we cannot read."""

    def __init__(self, message: str, *, status: int | None = None, source: str = ""):
        self.status = status
        self.source = source
        self.message = message
        prefix = f"{source}: " if source else ""
        suffix = f" (HTTP {status})" if status is not None else ""
        super().__init__(f"{prefix}{message}{suffix}")


class SourceOffline(SourceError):
    """PAPERBOY_OFFLINE=1: the paper sources are switched off and nothing was requested."""

    def __init__(self, source: str = ""):
        super().__init__("paper sources are switched off (PAPERBOY_OFFLINE=1)", source=source)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # requests in all, the first one included
    base_delay: float = 0.5  # first backoff; doubles with every retry
    max_delay: float = 8.0  # cap on a computed backoff
    max_retry_after: float = 60.0  # a server asking for a longer wait than this gets no retry
    jitter: float = 0.5  # share of each backoff drawn at random, so clients do not retry in step
    max_bytes: int = 32 * 1024 * 1024  # a body larger than this is refused


DEFAULT_POLICY = RetryPolicy()


@dataclass(frozen=True)
class Fetched:
    status: int
    content: bytes
    content_type: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)

    def json(self, source: str = "") -> Any:
        """The body as JSON; an HTML error page or a cut-off body becomes a clear SourceError."""
        try:
            return json.loads(self.content)
        except (ValueError, UnicodeDecodeError) as exc:
            raise SourceError(f"the response is not valid JSON ({_describe_body(self)}): {_short(exc)}",
                              status=self.status, source=source) from None


def _short(exc: BaseException, limit: int = 160) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe_body(fetched: Fetched) -> str:
    kind = fetched.content_type.split(";")[0].strip() or "no content type"
    return f"{kind}, {len(fetched.content)} bytes"


def _public_url(url: httpx.URL) -> str:
    """Scheme, host and path only: query strings and credentials stay out of logs and errors."""
    return str(url.copy_with(query=None, fragment=None, username=None, password=None))


def backoff_delay(retry: int, policy: RetryPolicy, rng: random.Random) -> float:
    """Delay before retry number `retry` (1-based): exponential, capped, part of it random."""
    full = min(policy.max_delay, policy.base_delay * (2 ** (retry - 1)))
    fixed = full * (1 - policy.jitter)
    return fixed + rng.uniform(0, full - fixed)


def _retryable(status: int) -> bool:
    return status == 429 or status >= 500


@contextlib.asynccontextmanager
async def _no_pace():
    yield


async def fetch(
    client: httpx.AsyncClient,
    url: str,
    *,
    params: Mapping[str, Any] | None = None,
    accept: Collection[int] = (),
    source: str = "",
    policy: RetryPolicy = DEFAULT_POLICY,
    sleep: Sleep = asyncio.sleep,
    pace: Pace | None = None,
    rng: random.Random | None = None,
    timeout: httpx.Timeout | float | None = None,
) -> Fetched:
    """GET `url`, retrying transport errors, 429 and 5xx with backoff (Retry-After wins when given).

    A 2xx answer, or one whose status is in `accept` (a 404 the caller reads as "unknown"), is
    returned. Anything else, or running out of attempts, raises SourceError. `pace` wraps every
    attempt, so a rate limit such as arXiv's one-request-every-3-seconds covers retries too.
    """
    rng = rng or random.Random()
    pace = pace or _no_pace
    last_error: SourceError | None = None
    for attempt in range(1, max(1, policy.attempts) + 1):
        wait: float | None = None
        try:
            async with pace():
                fetched = await _get_once(client, url, params, policy, timeout, source)
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:  # configuration, not luck: no retry
            raise SourceError(f"cannot request {url[:100]!r}: {_short(exc)}", source=source) from None
        except httpx.TransportError as exc:  # timeouts, refused connections, resets
            last_error = SourceError(f"could not reach {_public_url(httpx.URL(url))}: {_transport_reason(exc)}",
                                     source=source)
        except httpx.RequestError as exc:  # a body that cannot be decoded, a redirect loop: retrying won't help
            raise SourceError(f"bad response from {_public_url(httpx.URL(url))}: {_short(exc)}",
                              source=source) from None
        else:
            if 200 <= fetched.status < 300 or fetched.status in accept:
                return fetched
            last_error = SourceError(_status_message(fetched), status=fetched.status, source=source)
            if not _retryable(fetched.status):
                raise last_error
            asked = retry_after_seconds(fetched.headers.get("retry-after"))
            if asked is not None:
                if asked > policy.max_retry_after:
                    raise SourceError(f"rate limited; the server asks to wait {asked:.0f}s",
                                      status=fetched.status, source=source)
                wait = asked
        if attempt >= policy.attempts:
            break
        if wait is None:
            wait = backoff_delay(attempt, policy, rng)
        log.info("%s: attempt %d failed (%s); retrying in %.1fs", source or "source", attempt, last_error, wait)
        await sleep(wait)
    assert last_error is not None
    raise SourceError(f"gave up after {policy.attempts} attempts: {last_error.message}",
                      status=last_error.status, source=source)


async def _get_once(client: httpx.AsyncClient, url: str, params: Mapping[str, Any] | None,
                    policy: RetryPolicy, timeout: httpx.Timeout | float | None, source: str) -> Fetched:
    extra = {"timeout": timeout} if timeout is not None else {}
    request = client.build_request("GET", url, params=params, **extra)
    response = await client.send(request, stream=True)
    try:
        chunks = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > policy.max_bytes:
                raise SourceError(f"the response is larger than {policy.max_bytes} bytes",
                                  status=response.status_code, source=source)
            chunks.append(chunk)
    finally:
        await response.aclose()
    return Fetched(
        status=response.status_code,
        content=b"".join(chunks),
        content_type=response.headers.get("content-type", ""),
        url=_public_url(response.request.url),
        headers={k.lower(): v for k, v in response.headers.items() if k.lower() == "retry-after"},
    )


def _transport_reason(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    return _short(exc) if str(exc) else type(exc).__name__


def _status_message(fetched: Fetched) -> str:
    if fetched.status == 429:
        return "rate limited"
    if fetched.status >= 500:
        return "the server failed"
    if fetched.status == 404:
        return "not found"
    return f"the request was refused ({_describe_body(fetched)})"


def make_client(timeout: httpx.Timeout | float = DEFAULT_TIMEOUT) -> httpx.AsyncClient:
    """The client every source shares: bounded timeouts, a descriptive User-Agent, no cookies kept."""
    return httpx.AsyncClient(
        timeout=timeout,
        headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"},
        follow_redirects=True,
        limits=httpx.Limits(max_connections=8, max_keepalive_connections=4),
    )
