"""`paperboy ingest oai` against arXiv's recorded OAI-PMH pages served on loopback, and what
`paperboy stats` then says."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
from cli_world import LOCAL_FIXTURES, paperboy


class FakeOai(BaseHTTPRequestHandler):
    asked: list[dict[str, str]] = []

    def do_GET(self):  # noqa: N802 (http.server's naming)
        query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
        self.asked.append(query)
        name = "arxiv_oai_page2.xml" if "resumptionToken" in query else "arxiv_oai_page1.xml"
        body = (LOCAL_FIXTURES / name).read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def oai_env(env):
    FakeOai.asked = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOai)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield dict(env, PAPERBOY_ARXIV_OAI_URL=f"http://127.0.0.1:{server.server_address[1]}/oai")
    server.shutdown()
    thread.join()


def test_ingest_oai_harvests_a_set_and_stats_shows_it(oai_env):
    result = paperboy(["ingest", "oai", "--set", "math", "--from", "2026-11-24", "--until", "2026-11-24"], oai_env)
    assert result.returncode == 0, result.stderr
    assert "math 2026-11-24..2026-11-24: 4 papers (4 new, 0 withdrawn) in 2 pages" in result.stdout
    assert FakeOai.asked[0]["set"] == "math" and FakeOai.asked[1] == {"verb": "ListRecords",
                                                                      "resumptionToken": "7384712|1001"}
    stats = paperboy(["stats"], oai_env).stdout
    assert "papers_from_arxiv" in stats and "harvest_math" in stats and "until 2026-11-24" in stats
    card = paperboy(["ask", "/paper 1910.03186"], dict(oai_env, PAPERBOY_OFFLINE="1")).stdout
    assert "K-theoretic Coulomb branches" in card and "Duke Math. J. 173 (2024)" in card


def test_a_category_given_as_a_set_is_refused_with_its_set(oai_env):
    result = paperboy(["ingest", "oai", "--set", "hep-th"], oai_env)
    assert result.returncode == 2 and "its set is physics" in result.stderr
