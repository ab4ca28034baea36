"""The hand-written /paper queries of bench/descriptions.json (descriptions and nicknames) and the
way bench/quality.py builds the matchers it compares. The corpus-wide checks are
bench/check_descriptions.py's; these need no corpus."""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench import check_descriptions, quality  # noqa: E402

ARXIV_ID = re.compile(r"^\d{4}\.\d{4,5}$")


def test_the_set_has_enough_of_each_kind_in_the_expected_shape():
    queries = json.loads((ROOT / "bench" / "descriptions.json").read_text())
    assert sum(q["kind"] == "description" for q in queries) >= 60
    assert sum(q["kind"] == "nickname" for q in queries) >= 30
    for q in queries:
        assert set(q) == {"kind", "query", "id", "title"}
        assert q["kind"] in ("description", "nickname") and ARXIV_ID.match(q["id"]) and q["title"]
    assert len({q["query"].lower() for q in queries}) == len(queries)


def test_descriptions_do_not_lean_on_the_titles_they_carry():
    for q in json.loads((ROOT / "bench" / "descriptions.json").read_text()):
        if q["kind"] == "description":
            assert 6 <= len(check_descriptions.words(q["query"])) <= 25, q
            assert not check_descriptions.shared_ngrams(q["query"], q["title"]), q


def test_the_checker_flags_copied_runs_and_title_words():
    abstract = "We show that sparse autoencoders can extract interpretable features from a chatbot."
    assert check_descriptions.shared_ngrams("how sparse autoencoders can extract things", abstract) == {
        "sparse autoencoders can extract"}
    assert check_descriptions.title_words("the monosemanticity paper on a language model",
                                          "Scaling Monosemanticity in a Language Model") == {"monosemanticity"}


def test_build_matchers_compares_the_full_matcher_with_the_lexical_one():
    from paperboy.storage.sqlite import SQLiteStore
    store = SQLiteStore(memory=True)
    matchers = quality.build_matchers(store)
    assert matchers["paperboy"].aliases and not matchers["lexical"].aliases
    assert matchers["lexical"].semantic is None
    assert matchers["paperboy"].semantic is None  # no vectors stored: no model is loaded
    store.close()


@pytest.mark.parametrize("values, q, expected", [([], 0.5, 0.0), ([1.0], 0.99, 1.0),
                                                 ([1.0, 2.0, 3.0, 4.0], 0.5, 2.0), ([1.0] * 99 + [9.0], 0.99, 1.0)])
def test_quantile_is_nearest_rank(values, q, expected):
    assert quality._quantile(values, q) == expected
