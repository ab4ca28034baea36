"""A loopback HTTP server that answers like Hugging Face and arXiv, from the recorded fixtures.

Routes are scripted per path: a list of replies served in turn (the last one repeats), so a test
can say "429 with Retry-After, then 200". Every request is recorded with its query and the time
it arrived, and the server counts how many requests it is serving at once.
"""
from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from aiohttp import web
from aiohttp.test_utils import TestServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
EXPECTED = json.loads((FIXTURES / "EXPECTED.json").read_text())


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Seen:
    path: str
    query: dict[str, str]
    at: float  # the event loop's clock
    clock_at: object = None  # the test's FakeClock, when one is attached


@dataclass
class Route:
    path: str
    replies: list[Reply]
    query: dict[str, str] = field(default_factory=dict)  # must all be present in the request
    dynamic: Callable[[dict[str, str]], Reply] | None = None
    served: int = 0

    def matches(self, path: str, query: dict[str, str]) -> bool:
        return path == self.path and all(query.get(k) == v for k, v in self.query.items())

    def next_reply(self, query: dict[str, str]) -> Reply:
        if self.dynamic is not None:
            return self.dynamic(query)
        reply = self.replies[min(self.served, len(self.replies) - 1)]
        self.served += 1
        return reply


class FakeSources:
    """The fake server: add routes, then point the sources at `url`."""

    def __init__(self) -> None:
        self.routes: list[Route] = []
        self.seen: list[Seen] = []
        self.active = 0
        self.max_active = 0
        self.server: TestServer | None = None
        self.clock = None  # a FakeClock whose time each request records

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self.handle)
        self.server = TestServer(app, host="127.0.0.1", port=0)
        await self.server.start_server()

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.close()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.port}"

    def route(self, path: str, *replies: Reply, query: dict[str, str] | None = None,
              dynamic: Callable[[dict[str, str]], Reply] | None = None) -> Route:
        route = Route(path, list(replies), dict(query or {}), dynamic)
        self.routes.insert(0, route)  # the newest route wins, so a test can override a fixture
        return route

    def serve_fixture(self, name: str, **overrides) -> Route:
        """Serves a fixture file for the request EXPECTED.json names, with its status and type."""
        spec = EXPECTED[name]
        target = urlsplit(spec["request"].split(" ", 1)[1])
        reply = Reply(spec["http_status"], (FIXTURES / name).read_bytes(), spec["content_type"], **overrides)
        return self.route(target.path, reply, query=dict(parse_qsl(target.query)))

    def requests_to(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        query = dict(request.query)
        self.seen.append(Seen(request.path, query, asyncio.get_running_loop().time(),
                              self.clock.now() if self.clock is not None else None))
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            for route in self.routes:
                if route.matches(request.path, query):
                    reply = route.next_reply(query)
                    if reply.delay:
                        await asyncio.sleep(reply.delay)
                    return web.Response(status=reply.status, body=reply.body,
                                        headers={"Content-Type": reply.content_type, **reply.headers})
            return web.Response(status=404, body=b'{"error":"Not Found"}',
                                headers={"Content-Type": "application/json; charset=utf-8"})
        finally:
            self.active -= 1


class SleepRecorder:
    """Stands in for asyncio.sleep in retry loops: records the waits, lets the loop run, never waits."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture_json(name: str):
    return json.loads(fixture_bytes(name))


def atom_feed(entries: list[dict], total: int | None = None, start: int = 0) -> bytes:
    """An arXiv API answer in its real shape; each entry: id (with version), title, published,
    updated (defaults to published), categories, authors, summary."""
    from xml.sax.saxutils import escape

    parts = [
        "<?xml version='1.0' encoding='UTF-8'?>",
        '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
        'xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">',
        "  <id>https://arxiv.org/api/test</id>",
        "  <title>arXiv Query</title>",
        f"  <opensearch:itemsPerPage>{len(entries)}</opensearch:itemsPerPage>",
        f"  <opensearch:totalResults>{len(entries) if total is None else total}</opensearch:totalResults>",
        f"  <opensearch:startIndex>{start}</opensearch:startIndex>",
    ]
    for e in entries:
        cats = e.get("categories", ["cs.LG"])
        parts += [
            "  <entry>",
            f"    <id>http://arxiv.org/abs/{e['id']}</id>",
            f"    <title>{escape(e['title'])}</title>",
            f"    <updated>{e.get('updated', e['published'])}T10:00:00Z</updated>",
            f"    <summary>{escape(e.get('summary', 'An abstract.'))}</summary>",
            *[f'    <category term="{c}" scheme="http://arxiv.org/schemas/atom"/>' for c in cats],
            f"    <published>{e['published']}T10:00:00Z</published>",
            f'    <arxiv:primary_category term="{cats[0]}"/>',
            *[f"    <author>\n      <name>{escape(a)}</name>\n    </author>" for a in e.get("authors", ["A. Author"])],
            "  </entry>",
        ]
    parts.append("</feed>")
    return "\n".join(parts).encode()
