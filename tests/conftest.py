"""Fixtures every test area may use."""
from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS_FILE = SHARED / "corpus" / "papers-304k.jsonl.xz"


@pytest.fixture
def corpus_file() -> Path:
    """The 304k-paper corpus beside the repo; tests that use it skip when it is absent."""
    if not CORPUS_FILE.is_file():
        pytest.skip("../shared/corpus is not present")
    return CORPUS_FILE
