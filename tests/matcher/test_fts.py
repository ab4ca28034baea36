"""MATCH expressions come only from extracted tokens, so no user text can break FTS5."""
from __future__ import annotations

import pytest

from paperboy.bot.search import fts

HOSTILE = [
    '"', '""', '"unbalanced', "'single'", "-", "--", "-reversal", "*", "rev*", "***", "NEAR", "NEAR(a b)",
    "NEAR(reversal curse, 2)", "AND", "OR", "NOT", "a AND b OR NOT c", "(", ")", "(reversal", "curse)",
    "title:reversal", "{title}: curse", "^reversal", "reversal + curse", "a:b:c", "col:", "\\", "\x00",
    "'; DROP TABLE papers; --", "café crème", "Ünïcödé", "日本語の論文", "🙂 reversal 🙂", "\u200b\u200d",
    "x" * 10_000, "reversal " * 2_000, '"' * 5_000,
]


def test_tokenize_folds_case_and_diacritics_and_splits_like_unicode61():
    assert fts.tokenize("Retro-Search: Exploring UNTAKEN paths!") == ["retro", "search", "exploring", "untaken", "paths"]
    assert fts.tokenize("Café naïve Schrödinger") == ["cafe", "naive", "schrodinger"]
    assert fts.tokenize('"A is B" (NEAR) -x* ^y') == ["a", "is", "b", "near", "x", "y"]
    assert fts.tokenize("snake_case 3D-GPT") == ["snake", "case", "3d", "gpt"]
    assert fts.tokenize("🙂🙂") == []
    assert fts.tokenize(None) == []


def test_tokens_are_capped_for_huge_input():
    tokens = fts.tokenize("word " * 10_000)
    assert len(tokens) == fts.MAX_TOKENS
    assert all(len(t) <= fts.MAX_TOKEN_CHARS for t in fts.tokenize("y" * 10_000))


def test_terms_are_quoted_with_inner_quotes_doubled_and_prefix_only_from_code():
    assert fts.quote_term('say "hi"') == '"say ""hi"""'
    assert fts.quote_term("rev", prefix=True) == '"rev"*'
    assert fts.quote_terms(["a", "b*"], "AND") == '"a" AND "b*"'
    assert fts.quote_terms(["a", "b"], "OR", prefix_last=True) == '"a" OR "b"*'
    assert fts.quote_terms([], "OR") == ""
    assert fts.any_of([["colour", "color"], ["curse"]]) == '("colour" OR "color") AND ("curse")'
    assert fts.in_column("title", '"x"') == 'title : ("x")'
    with pytest.raises(ValueError):
        fts.quote_terms(["a"], "NEAR")
    with pytest.raises(ValueError):
        fts.in_column("papers; --", '"x"')


def test_content_tokens_drop_stopwords_and_repeats():
    assert fts.content_tokens(["the", "reversal", "curse", "of", "the", "curse"]) == ["reversal", "curse"]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_never_breaks_a_match(store, text):
    tokens = fts.tokenize(text)
    for expression in (fts.quote_terms(tokens, "AND"), fts.quote_terms(tokens, "OR", prefix_last=True),
                       fts.any_of([[t] for t in tokens]), fts.in_column("title", fts.quote_terms(tokens, "OR"))):
        if expression:
            assert isinstance(store.fts_search(expression, 5), list)


def test_quoted_keywords_are_plain_words_to_fts(store):
    hits = store.fts_search(fts.quote_terms(fts.tokenize("reversal NEAR curse"), "AND"), 5)
    assert hits == []  # "near" is a word that no paper has together with both, not an operator
    hits = store.fts_search(fts.quote_terms(fts.tokenize("reversal AND curse"), "OR"), 10)
    assert len(hits) >= 2  # "and" is searched as a word among the ORed terms, not as an operator
