"""The shared fetch helper: retries on 429/5xx/transport errors, Retry-After, clear final errors."""
from __future__ import annotations

import errno
import logging
import random
import socket
from datetime import UTC, datetime

import httpx
import pytest
from fake_paper_sources import Reply
from no_network import UNRESOLVABLE

from paperboy.bot.clock import FakeClock, duration_words
from paperboy.bot.retry_after import retry_after_header, retry_after_seconds
from paperboy.bot.sources.http import (
    Reachability,
    RetryPolicy,
    SourceError,
    SourceUnreachable,
    _unreachable,
    backoff_delay,
    fetch,
)

OK = Reply(200, b'{"ok": true}')


async def test_429_with_retry_after_then_200_succeeds_after_the_asked_wait(fake_sources, http_client, sleeps,
                                                                           quick_policy):
    fake_sources.route("/api/thing", Reply(429, b"slow down", "text/plain", {"Retry-After": "2"}), OK)

    fetched = await fetch(http_client, fake_sources.url + "/api/thing", policy=quick_policy, sleep=sleeps)

    assert fetched.status == 200 and fetched.json() == {"ok": True}
    assert sleeps.waits == [2.0]  # the server's wait, not the (much shorter) computed backoff
    assert len(fake_sources.requests_to("/api/thing")) == 2


async def test_retry_after_as_an_http_date_is_honoured():
    now = datetime(2026, 11, 24, 7, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("Tue, 24 Nov 2026 07:00:05 GMT", now) == 5.0
    assert retry_after_seconds("Tue, 24 Nov 2026 06:59:00 GMT", now) == 0.0  # already past: retry now
    assert retry_after_seconds("7", now) == 7.0
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds(None, now) is None
    # one parser for every peer: Slack's client gives header values as lists, Discord's as text
    assert retry_after_header({"Retry-After": ["7"]}) == 7.0
    assert retry_after_header({"retry-after": "Tue, 24 Nov 2026 07:00:05 GMT"}) is not None
    assert retry_after_header({"Content-Type": "text/plain"}) is None and retry_after_header(None) is None


async def test_a_retry_after_beyond_the_cap_is_not_waited_for(fake_sources, http_client, sleeps):
    fake_sources.route("/api/thing", Reply(429, b"", "text/plain", {"Retry-After": "3600"}), OK)
    policy = RetryPolicy(attempts=4, base_delay=0.01, max_retry_after=30)

    with pytest.raises(SourceError) as caught:
        await fetch(http_client, fake_sources.url + "/api/thing", policy=policy, sleep=sleeps, source="hf")

    assert caught.value.status == 429
    assert "3600" in str(caught.value) and str(caught.value).startswith("hf: ")
    assert sleeps.waits == [] and len(fake_sources.requests_to("/api/thing")) == 1


async def test_500_every_time_ends_in_a_source_error_after_the_allowed_attempts(fake_sources, http_client, sleeps,
                                                                               quick_policy):
    fake_sources.route("/api/thing", Reply(500, b"<html>oops</html>", "text/html"))

    with pytest.raises(SourceError) as caught:
        await fetch(http_client, fake_sources.url + "/api/thing", policy=quick_policy, sleep=sleeps, source="hf")

    assert caught.value.status == 500
    assert "gave up after 4 attempts" in str(caught.value)
    assert len(fake_sources.requests_to("/api/thing")) == 4
    assert len(sleeps.waits) == 3


async def test_backoff_grows_and_stays_under_the_cap(fake_sources, http_client, sleeps):
    fake_sources.route("/api/thing", Reply(503), Reply(502), Reply(500), OK)
    policy = RetryPolicy(attempts=5, base_delay=1.0, max_delay=3.0, jitter=0.5)

    await fetch(http_client, fake_sources.url + "/api/thing", policy=policy, sleep=sleeps, rng=random.Random(7))

    first, second, third = sleeps.waits
    assert 0.5 <= first <= 1.0 and 1.0 <= second <= 2.0 and 1.5 <= third <= 3.0


def test_backoff_delay_jitter_is_bounded():
    policy = RetryPolicy(base_delay=0.5, max_delay=8.0, jitter=0.5)
    rng = random.Random(1)
    for retry in range(1, 10):
        full = min(8.0, 0.5 * 2 ** (retry - 1))
        for _ in range(20):
            assert full / 2 <= backoff_delay(retry, policy, rng) <= full


async def test_a_404_is_final_unless_the_caller_accepts_it(fake_sources, http_client, sleeps, quick_policy):
    url = fake_sources.url + "/api/missing"
    with pytest.raises(SourceError) as caught:
        await fetch(http_client, url, policy=quick_policy, sleep=sleeps)
    assert caught.value.status == 404 and sleeps.waits == []

    fetched = await fetch(http_client, url, policy=quick_policy, sleep=sleeps, accept=(404,))
    assert fetched.status == 404


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_a_refused_connection_is_reported_at_once_without_retries(counting_client, sleeps, quick_policy):
    # Nothing listens there: the host answered "no", and asking again half a second later gets the same.
    port = _closed_port()

    with pytest.raises(SourceUnreachable) as caught:
        await fetch(counting_client, f"http://127.0.0.1:{port}/api/daily_papers", policy=quick_policy, sleep=sleeps,
                    source="hf")

    assert str(caught.value) == f"hf: could not reach http://127.0.0.1:{port}/api/daily_papers: connection refused"
    assert caught.value.reason == "connection refused" and caught.value.asked and caught.value.status is None
    assert len(counting_client.sent) == 1 and sleeps.waits == []


async def test_a_name_that_does_not_resolve_is_no_network_and_fails_at_once(counting_client, sleeps, quick_policy):
    with pytest.raises(SourceUnreachable) as caught:
        await fetch(counting_client, f"http://{UNRESOLVABLE}/api/daily_papers", policy=quick_policy, sleep=sleeps,
                    source="hf")

    assert str(caught.value) == f"hf: no network: could not resolve {UNRESOLVABLE}"
    assert caught.value.reason == "no network" and caught.value.retry_in is None  # no Reachability: no rest
    assert len(counting_client.sent) == 1 and sleeps.waits == []  # one attempt, no backoff


def test_the_connect_errors_httpx_raises_without_a_network_are_told_apart():
    """The exceptions as httpx raises them (a real one above; these as anyio chains them: a failed
    attempt per address under one OSError)."""
    def connect_error(cause: BaseException) -> httpx.ConnectError:
        try:
            try:
                raise OSError("All connection attempts failed") from cause
            except OSError as exc:
                raise httpx.ConnectError(str(exc)) from exc
        except httpx.ConnectError as exc:
            return exc

    url = httpx.URL("https://huggingface.co/api/papers")
    again = socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
    assert _unreachable(connect_error(again), url) == ("no network", "no network: could not resolve huggingface.co")
    refused = ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed")
    no_route = OSError(errno.ENETUNREACH, "Network is unreachable")
    both = ExceptionGroup("multiple connection attempts failed", [no_route, refused])
    assert _unreachable(connect_error(both), url)[0] == "connection refused"
    assert _unreachable(connect_error(no_route), url) == ("no network", "no network: no route to huggingface.co")
    reset = ConnectionResetError(errno.ECONNRESET, "reset")
    assert _unreachable(connect_error(reset), url) is None  # retried as before
    assert _unreachable(connect_error(ExceptionGroup("m", [refused, reset])), url) is None
    assert _unreachable(httpx.ConnectTimeout("timed out"), url) is None


async def test_a_host_that_could_not_be_reached_rests_a_minute_then_twice_as_long_each_time(counting_client,
                                                                                           sleeps, quick_policy):
    clock = FakeClock(datetime(2026, 11, 24, 7, 0, tzinfo=UTC))
    reach = Reachability(clock)
    url = f"http://{UNRESOLVABLE}/api/daily_papers"

    async def ask() -> SourceUnreachable:
        with pytest.raises(SourceUnreachable) as caught:
            await fetch(counting_client, url, policy=quick_policy, sleep=sleeps, source="hf", reach=reach)
        return caught.value

    first = await ask()
    assert first.asked and first.retry_in == 60
    clock.advance(seconds=20)
    resting = await ask()
    assert not resting.asked and resting.retry_in == 40 and resting.reason == "no network"
    assert str(resting) == "hf: not asked: no network (retrying in 1 min)"
    assert len(counting_client.sent) == 1  # the second call made no request

    rests = []
    for _ in range(7):
        clock.advance(seconds=reach.resting(UNRESOLVABLE) or 0)
        failed = await ask()
        assert failed.asked
        rests.append(failed.retry_in)
    assert rests == [120, 240, 480, 960, 1800, 1800, 1800]  # doubling, up to 30 minutes
    assert len(counting_client.sent) == 1 + 7 and sleeps.waits == []
    for _ in range(1100):  # three weeks without a network, and more
        clock.advance(seconds=reach.resting(UNRESOLVABLE) or 0)
        assert reach.failed(UNRESOLVABLE, "no network") == 1800


async def test_any_answer_ends_the_rest(fake_sources, counting_client, sleeps, quick_policy):
    fake_sources.route("/api/thing", Reply(503), OK)
    clock = FakeClock(datetime(2026, 11, 24, 7, 0, tzinfo=UTC))
    reach = Reachability(clock)
    host = httpx.URL(fake_sources.url).netloc.decode()
    for _ in range(3):
        reach.failed(host, "connection refused")
        clock.advance(seconds=reach.resting(host))
    assert reach.failed(host, "connection refused") == 480

    clock.advance(seconds=480)
    fetched = await fetch(counting_client, fake_sources.url + "/api/thing", policy=quick_policy, sleep=sleeps,
                          reach=reach)  # a 503 first, then 200: the host is there

    assert fetched.status == 200 and reach.resting(host) is None
    assert reach.failed(host, "connection refused") == 60  # a failure after that starts from a minute again


def test_requests_that_fail_together_count_as_one_failure():
    clock = FakeClock(datetime(2026, 11, 24, 7, 0, tzinfo=UTC))
    reach = Reachability(clock)
    assert reach.failed("huggingface.co", "no network") == 60
    clock.advance(seconds=1)
    assert reach.failed("huggingface.co", "no network") == 59  # asked before the first failed: no longer rest
    assert reach.resting("export.arxiv.org") is None  # each host on its own
    assert [duration_words(s) for s in (5, 60, 61, 1800)] == ["1 min", "1 min", "2 min", "30 min"]


async def test_a_slow_server_times_out_into_a_source_error(fake_sources, sleeps):
    fake_sources.route("/api/slow", Reply(200, b"[]", delay=1.0))
    policy = RetryPolicy(attempts=2, base_delay=0.01)
    async with httpx.AsyncClient(timeout=httpx.Timeout(0.2)) as client:
        with pytest.raises(SourceError) as caught:
            await fetch(client, fake_sources.url + "/api/slow", policy=policy, sleep=sleeps)
    assert "timed out" in str(caught.value)
    assert len(fake_sources.requests_to("/api/slow")) == 2


async def test_html_instead_of_json_is_a_clear_error(fake_sources, http_client, quick_policy, sleeps):
    fake_sources.route("/api/thing", Reply(200, b"<!doctype html><title>Maintenance</title>", "text/html"))
    fetched = await fetch(http_client, fake_sources.url + "/api/thing", policy=quick_policy, sleep=sleeps)
    with pytest.raises(SourceError) as caught:
        fetched.json("hf")
    assert "not valid JSON" in str(caught.value) and "text/html" in str(caught.value)


async def test_an_oversized_body_is_refused(fake_sources, http_client, sleeps):
    fake_sources.route("/api/huge", Reply(200, b"[" + b"0," * 5000 + b"0]"))
    with pytest.raises(SourceError) as caught:
        await fetch(http_client, fake_sources.url + "/api/huge", policy=RetryPolicy(max_bytes=1000), sleep=sleeps)
    assert "larger than 1000 bytes" in str(caught.value)


async def test_query_strings_stay_out_of_errors_and_logs(fake_sources, http_client, sleeps, quick_policy, caplog):
    caplog.set_level(logging.DEBUG, logger="bot.sources")
    fake_sources.route("/api/thing", Reply(503))
    url = fake_sources.url + "/api/thing"

    with pytest.raises(SourceError) as caught:
        await fetch(http_client, url, params={"token": "s3cr3t-value"}, policy=quick_policy, sleep=sleeps)

    assert fake_sources.requests_to("/api/thing")[0].query == {"token": "s3cr3t-value"}
    assert "s3cr3t-value" not in str(caught.value)
    assert "s3cr3t-value" not in caplog.text
    closed = f"http://127.0.0.1:{_closed_port()}/x"
    with pytest.raises(SourceError) as caught:
        await fetch(http_client, closed, params={"token": "s3cr3t-value"}, policy=quick_policy, sleep=sleeps)
    assert "s3cr3t-value" not in str(caught.value) and "s3cr3t-value" not in caplog.text
