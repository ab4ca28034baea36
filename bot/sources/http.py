"""One way to ask a paper source over HTTP: timeouts, bounded retries with backoff, Retry-After.

Every source goes through `fetch`. A request that keeps failing ends in a SourceError that says
what went wrong in a few words; callers decide whether that fails a command or is only logged.

A host that cannot be reached at all (its name does not resolve, it refuses the connection, there
is no route to it) is not retried: that is no passing fault, and backing off would only make every
caller wait. It ends in a SourceUnreachable at once, and with a Reachability (one per process, in
Sources) the host is not asked again for a while: see Reachability.
"""
from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
import random
import socket
from collections.abc import Awaitable, Callable, Collection, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from paperboy.bot.clock import Clock, SystemClock, duration_words
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


class SourceUnreachable(SourceError):
    """The source's host could not be reached at all. `reason` says why in a few words: "no network"
    (its name did not resolve, or there is no route) or "connection refused". `asked` is False when
    no request was made because the host failed a moment ago; `retry_in` is how many seconds until
    it is asked again (None without a Reachability)."""

    def __init__(self, message: str, *, reason: str, source: str = "", asked: bool = True,
                 retry_in: float | None = None):
        self.reason = reason
        self.asked = asked
        self.retry_in = retry_in
        super().__init__(message, source=source)


class SourceOffline(SourceError):
    """PAPERBOY_OFFLINE=1: the paper sources are switched off and nothing was requested."""

    def __init__(self, source: str = ""):
        super().__init__("paper sources are switched off (PAPERBOY_OFFLINE is on)", source=source)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # requests in all, the first one included
    base_delay: float = 0.5  # first backoff; doubles with every retry
    max_delay: float = 8.0  # cap on a computed backoff
    max_retry_after: float = 60.0  # a server asking for a longer wait than this gets no retry
    jitter: float = 0.5  # share of each backoff drawn at random, so clients do not retry in step
    max_bytes: int = 32 * 1024 * 1024  # a body larger than this is refused


DEFAULT_POLICY = RetryPolicy()


@dataclass
class _Down:
    reason: str
    failures: int  # in a row, each after the rest before it was over
    until: datetime  # not asked again before this


class Reachability:
    """The hosts that could not be reached at all lately, and when each is asked again. After a
    failure a host rests `first_rest` seconds, and twice as long after each failure that follows,
    up to `longest_rest`; meanwhile fetch raises SourceUnreachable (asked=False) without a request.
    Any answer from the host, whatever its status, ends this. One per process, shared by every
    source (Sources.from_env makes it), so a lookup does not wait on a host the ingest found down."""

    def __init__(self, clock: Clock | None = None, *, first_rest: float = 60.0, longest_rest: float = 1800.0):
        self.clock = clock or SystemClock()
        self.first_rest = first_rest
        self.longest_rest = longest_rest
        self._down: dict[str, _Down] = {}

    def check(self, host: str, source: str = "") -> None:
        """Raises SourceUnreachable while `host` rests."""
        down = self._down.get(host)
        if down is None:
            return
        left = (down.until - self.clock.now()).total_seconds()
        if left > 0:
            raise SourceUnreachable(f"not asked: {down.reason} (retrying in {duration_words(left)})",
                                    reason=down.reason, source=source, asked=False, retry_in=left)

    def failed(self, host: str, reason: str) -> float:
        """Notes that `host` could not be reached; returns the seconds until it is asked again. A
        failure while the host already rests (requests made before the first failed) adds nothing."""
        now = self.clock.now()
        down = self._down.get(host)
        if down is not None and down.until > now:
            return (down.until - now).total_seconds()
        failures = down.failures + 1 if down is not None else 1
        rest = min(self.longest_rest, self.first_rest * 2.0 ** min(failures - 1, 32))  # weeks offline: no overflow
        self._down[host] = _Down(reason, failures, now + timedelta(seconds=rest))
        return rest

    def answered(self, host: str) -> None:
        self._down.pop(host, None)

    def resting(self, host: str) -> float | None:
        """Seconds until `host` is asked again; None when it is not resting."""
        down = self._down.get(host)
        left = (down.until - self.clock.now()).total_seconds() if down is not None else 0.0
        return left if left > 0 else None


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
    reach: Reachability | None = None,
) -> Fetched:
    """GET `url`, retrying transport errors, 429 and 5xx with backoff (Retry-After wins when given).

    A 2xx answer, or one whose status is in `accept` (a 404 the caller reads as "unknown"), is
    returned. Anything else, or running out of attempts, raises SourceError. `pace` wraps every
    attempt, so a rate limit such as arXiv's one-request-every-3-seconds covers retries too.
    A host that cannot be reached at all raises SourceUnreachable at once, without a retry; with
    `reach`, it is then not asked again until its rest is over (see Reachability).
    """
    rng = rng or random.Random()
    pace = pace or _no_pace
    host = _host_of(url)
    if reach is not None and host:
        reach.check(host, source)
    last_error: SourceError | None = None
    for attempt in range(1, max(1, policy.attempts) + 1):
        wait: float | None = None
        try:
            async with pace():
                fetched = await _get_once(client, url, params, policy, timeout, source)
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:  # configuration, not luck: no retry
            raise SourceError(f"cannot request {url[:100]!r}: {_short(exc)}", source=source) from None
        except httpx.TransportError as exc:  # timeouts, refused connections, resets
            unreachable = _unreachable(exc, httpx.URL(url))
            if unreachable is not None:
                reason, message = unreachable
                retry_in = reach.failed(host, reason) if reach is not None and host else None
                raise SourceUnreachable(message, reason=reason, source=source, retry_in=retry_in) from None
            last_error = SourceError(f"could not reach {_public_url(httpx.URL(url))}: {_transport_reason(exc)}",
                                     source=source)
        except httpx.RequestError as exc:  # a body that cannot be decoded, a redirect loop: retrying won't help
            raise SourceError(f"bad response from {_public_url(httpx.URL(url))}: {_short(exc)}",
                              source=source) from None
        else:
            if reach is not None and host:
                reach.answered(host)
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


def _host_of(url: str) -> str:
    """The host and port a request goes to: what Reachability keeps apart."""
    try:
        return httpx.URL(url).netloc.decode("ascii", "replace")
    except (httpx.InvalidURL, TypeError):
        return ""


_NO_ROUTE = (errno.ENETUNREACH, errno.EHOSTUNREACH)


def _unreachable(exc: httpx.TransportError, url: httpx.URL) -> tuple[str, str] | None:
    """(reason, message) when `exc` says the host cannot be reached at all: its name did not resolve
    (socket.gaierror: "Name or service not known", "Temporary failure in name resolution"), the
    connection was refused, or there is no route to it. None for anything else (a timeout, a
    reset): those are retried. The one place that tells these apart."""
    if not isinstance(exc, httpx.ConnectError):
        return None
    causes = _os_errors(exc)
    if any(isinstance(cause, socket.gaierror) for cause in causes):
        return "no network", f"no network: could not resolve {url.host}"
    if not causes or not all(isinstance(c, ConnectionRefusedError) or c.errno in _NO_ROUTE for c in causes):
        return None
    if any(isinstance(cause, ConnectionRefusedError) for cause in causes):  # the whole URL: a wrong port in it?
        return "connection refused", f"could not reach {_public_url(url)}: connection refused"
    return "no network", f"no network: no route to {url.host}"


def _os_errors(exc: BaseException) -> list[OSError]:
    """The OSErrors at the root of `exc`: its causes, followed down, and each attempt of a group
    (one per address the name resolved to)."""
    found: list[OSError] = []
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, BaseExceptionGroup):
            todo.extend(current.exceptions)
            continue
        below = current.__cause__ or current.__context__
        if below is not None:
            todo.append(below)
        elif isinstance(current, OSError):
            found.append(current)
    return found


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
