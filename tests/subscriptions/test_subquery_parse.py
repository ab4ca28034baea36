"""Parsing /subscribe queries: every construct, every error message, hostile input."""
from __future__ import annotations

import random

import pytest

from paperboy.bot.subscriptions.query import QueryError, SubscriptionQuery, parse
from paperboy.bot.syntax import MAX_ARGUMENT_CHARS


def kinds(query: SubscriptionQuery) -> list[list[tuple[str, str, bool]]]:
    """The clauses as (kind, text, negated), exclusions last as their own group."""
    groups = [[(t.kind, t.text, t.negated) for t in clause] for clause in query.clauses]
    return groups + ([[(t.kind, t.text, t.negated) for t in query.excluded]] if query.excluded else [])


def test_words_are_separate_and_clauses_in_lower_case():
    assert kinds(parse("Diffusion  Models")) == [[("word", "diffusion", False)], [("word", "models", False)]]


def test_quoted_phrase_is_one_term():
    assert kinds(parse('"Flow Matching" video')) == [[("phrase", "flow matching", False)],
                                                     [("word", "video", False)]]


def test_curly_quotes_work_like_straight_ones():
    assert parse("“flow matching”") == parse('"flow matching"')


def test_or_binds_tighter_than_and():
    query = parse("diffusion OR flow matching")
    assert kinds(query) == [[("word", "diffusion", False), ("word", "flow", False)], [("word", "matching", False)]]


def test_or_chains_and_lower_case_or_and_pipe():
    assert kinds(parse("a1 or b2 | c3")) == [[("word", "a1", False), ("word", "b2", False), ("word", "c3", False)]]


def test_and_is_accepted_and_changes_nothing():
    assert parse("diffusion AND video") == parse("diffusion video")


def test_exclusions_of_words_phrases_authors_and_categories():
    query = parse('diffusion -video -"image editing" -author:Smith -cat:cs.CV')
    assert kinds(query) == [[("word", "diffusion", False)],
                            [("word", "video", True), ("phrase", "image editing", True),
                             ("author", "Smith", True), ("cat", "cs.CV", True)]]


def test_author_bare_and_quoted_keep_the_name_as_written():
    assert kinds(parse("author:LeCun")) == [[("author", "LeCun", False)]]
    assert kinds(parse('author:"Yann LeCun"')) == [[("author", "Yann LeCun", False)]]
    assert kinds(parse('author:"LeCun, Yann"')) == [[("author", "Yann LeCun", False)]]
    assert kinds(parse("authors:Hinton")) == kinds(parse("AUTHOR:Hinton"))


def test_category_is_written_the_arxiv_way_whatever_the_case():
    assert kinds(parse("cat:CS.lg")) == [[("cat", "cs.LG", False)]]
    assert kinds(parse("cat:physics.OPTICS")) == [[("cat", "physics.optics", False)]]
    assert kinds(parse("category:astro-ph.co")) == [[("cat", "astro-ph.CO", False)]]


def test_archive_category_and_its_wildcard_form_are_the_same():
    assert parse("cat:cs") == parse("cat:cs.*")
    assert kinds(parse("cat:cs")) == [[("cat", "cs", False)]]


def test_hyphenated_and_dotted_words_are_kept_as_one_term():
    assert kinds(parse("multi-agent GPT-4")) == [[("word", "multi-agent", False)], [("word", "gpt-4", False)]]


def test_repeats_are_dropped_plurals_included():
    assert str(parse("model models MODEL diffusion")) == "model diffusion"


def test_stray_punctuation_is_ignored():
    assert parse("diffusion * & -- ; models") == parse("diffusion models")


@pytest.mark.parametrize("text", [
    "diffusion OR flow matching -video author:\"Yann LeCun\" cat:cs.LG",
    "multi-agent \"flow matching\" -\"image editing\" author:O'Brien cat:cs",
    "\"or\" \"and\" or-and",
    "Schrödinger’s cat:quant-ph",
    "author:\"J. R. R. Tolkien\" OR author:Lee cat:math.AG OR cat:cs.*",
    "ÉCOLE polytechnique -author:\"Dupré\"",
])
def test_str_round_trips(text):
    query = parse(text)
    assert parse(str(query)) == query
    assert str(parse(str(query))) == str(query)


def test_str_is_the_normalized_query():
    assert str(parse('  Diffusion  or FLOW   matching -Video  author:"yann   lecun" cat:CS.lg ')) == \
        'diffusion OR flow matching author:"yann lecun" cat:cs.LG -video'


def test_describe_reads_as_plain_words():
    query = parse('diffusion OR flow matching -video author:"Yann LeCun" cat:cs.LG cat:math')
    assert query.describe() == ("(diffusion or flow) and matching, by Yann LeCun, in cs.LG, "
                                "in any math category, not video")
    assert parse('"flow matching"').describe() == '"flow matching"'


def test_describe_and_str_never_carry_a_mention():
    query = parse("@everyone <@123> @here diffusion")
    assert "@" not in str(query) and "@" not in query.describe() and "<" not in str(query)


# ---- errors: each says what is wrong and where ------------------------------------------

@pytest.mark.parametrize("text, message", [
    ("", "empty query: give at least one word to watch for, e.g. diffusion models"),
    ("   \t ", "empty query: give at least one word to watch for, e.g. diffusion models"),
    ('author:"Yann LeCun', 'unclosed quote after author: (add a closing ")'),
    ('cat:"cs.LG', 'unclosed quote after cat: (add a closing ")'),
    ('diffusion "flow matching', 'unclosed quote at character 11 (add a closing ")'),
    ("-video -audio", "nothing to match: a query needs at least one word that is not excluded "
                      "(-word only removes papers)"),
    ("*** ---", "nothing to match: the query has no letters or digits"),
    ("foo:bar", 'unknown field "foo:" (use author: or cat:)'),
    ("title:diffusion", 'unknown field "title:" (use author: or cat:; plain words already search titles '
                        "and abstracts)"),
    ("OR diffusion", "OR needs a term on both sides (nothing before it, at character 1)"),
    ("diffusion OR", "OR needs a term on both sides (nothing after the last OR)"),
    ("diffusion OR OR flow", "OR needs a term on both sides (two ORs in a row, at character 14)"),
    ("diffusion AND OR flow", "OR needs a term on both sides (AND right before it, at character 15)"),
    ("diffusion OR AND flow", "OR needs a term on both sides (AND right after it, at character 14)"),
    ("-video OR diffusion", "an excluded term can't be part of OR (near character 8): "
                            "-word always applies to the whole query"),
    ("diffusion OR -video", "an excluded term can't be part of OR (near character 14): "
                            "-word always applies to the whole query"),
    ("(diffusion OR flow) matching", "parentheses aren't supported (character 1): OR already binds tighter "
                                     'than AND, so "a OR b c" means (a or b) and c'),
    ("diffusion NOT video", "NOT isn't supported: put a minus sign before a word to exclude it, e.g. -video"),
    ("author: Hinton", 'author: needs a name right after the colon, e.g. author:Hinton or '
                       'author:"Geoffrey Hinton"'),
    ('author:"" x', 'author: needs a name right after the colon, e.g. author:Hinton or author:"Geoffrey Hinton"'),
    ("author:J.K.", 'author: needs more than initials, e.g. author:Smith or author:"J. Smith"'),
    ("cat:", "cat: needs a category right after the colon, e.g. cat:cs.LG"),
    ("cat:cs.LG,cs.CL", "one category per cat:, e.g. cat:cs.LG OR cat:cs.CL"),
    ("cat:c++", 'cat: needs an arXiv category such as cs.LG, math.AG or cs (all of cs.*), not "c"'),
    ("cat:2401.12345", 'cat: needs an arXiv category such as cs.LG, math.AG or cs (all of cs.*), '
                       'not "2401.12345"'),
    ('x ""', "empty quotes at character 3: put words between them"),
])
def test_error_messages(text, message):
    with pytest.raises(QueryError) as caught:
        parse(text)
    assert str(caught.value) == message


def test_too_long_is_refused_with_the_length():
    with pytest.raises(QueryError, match=r"query is too long \(10,000 characters; the limit is 500\)"):
        parse("a" * 10_000)
    assert parse(("ab " * 200)[:MAX_ARGUMENT_CHARS])  # exactly at the limit is fine


def test_not_text_is_a_query_error():
    with pytest.raises(QueryError):
        parse(None)  # type: ignore[arg-type]


def test_a_word_with_a_colon_but_nothing_after_is_a_word():
    assert kinds(parse("note: diffusion")) == [[("word", "note", False)], [("word", "diffusion", False)]]


# ---- hostile input: a QueryError or a valid query, nothing else ---------------------------

HOSTILE = [
    "@everyone", "<@&123456> ping", "NEAR(a b)", "a* OR b^2", '"unbalanced', "'single quotes'",
    "\x00\x01\x02 diffusion", "𝔡𝔦𝔣𝔣𝔲𝔰𝔦𝔬𝔫", "扩散模型 OR 拡散", "ﬁne-tuning", "İstanbul ıI",
    "author:\"@everyone\"", "cat:../../etc", "-", "--", "---x", "\"\"\"", "OR", "AND", "-OR", "a:b:c",
    "author:" + "x" * 400, "\u202e\u200b\ufeff diffusion", "‘quoted’ “smart” „low“", "a\nOR\tb",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_gives_a_query_or_a_query_error(text):
    try:
        query = parse(text)
    except QueryError as exc:
        assert str(exc)
    else:
        assert parse(str(query)) == query
        assert query.describe()


def test_random_garbage_never_escapes_as_another_exception():
    rng = random.Random(1234)
    alphabet = 'ab cd-"():*^|&@<>#.,;\'\\/\u00e9\u0301\u4e2d\U0001f600\t\nORANDNOT'
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        try:
            query = parse(text)
        except QueryError:
            continue
        assert parse(str(query)) == query, text


def test_plain_lower_case_words_parse_the_same_on_the_short_path():
    rng = random.Random(77)
    vocabulary = ["model", "models", "diffusion", "or", "and", "not", "gpt4", "2024", "a", "policies", "policy"]
    for _ in range(500):
        text = " ".join(rng.choices(vocabulary, k=rng.randint(1, 5)))
        general = "AND " + text  # a leading AND changes nothing but takes the general scanner
        try:
            expected = parse(general)
        except QueryError:
            with pytest.raises(QueryError):
                parse(text)
            continue
        assert parse(text) == expected, text
        assert str(parse(text)) == str(expected)
        assert [[a for t in c for a in t.atoms] for c in parse(text).clauses] == \
            [[a for t in c for a in t.atoms] for c in expected.clauses]
