from __future__ import annotations

import os
import threading
from http.server import ThreadingHTTPServer

import pytest
from cli_world import FakeHuggingFace, fixture_bytes


@pytest.fixture
def fake_hf():
    FakeHuggingFace.daily = fixture_bytes("hf_daily_papers_2026-11-24.json")
    FakeHuggingFace.requests = []
    FakeHuggingFace.every_day = False
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeHuggingFace)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join()


@pytest.fixture
def env(tmp_path, fake_hf):
    values = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERBOY_", "DISCORD_", "SLACK_"))}
    values.update(PAPERBOY_DB=str(tmp_path / "paperboy.db"), PAPERBOY_HF_BASE_URL=fake_hf,
                  PAPERBOY_ARXIV_BASE_URL="http://127.0.0.1:9", COLUMNS="120")
    return values
