"""PostgreSQL's full-text index kept by SQLite's FTS5 rules, so both engines find and rank the same
papers for the same expression.

Words: each paper's title, abstract and authors are split and stemmed by SQLite's own FTS5
tokenizer (`porter unicode61 remove_diacritics 2`, the one papers_fts uses), run in an in-memory
SQLite database; PostgreSQL's parser and its English stemmer (Porter2, with stopwords) are never
used: the lexemes and their positions are written as a tsvector literal, and queries as a tsquery
literal. Title positions are weight A, authors B, abstract D, with a gap between fields so that a
phrase never runs from one field into the next (FTS5 phrases stay within a column).

Ranking: FTS5's bm25 (k1 1.2, b 0.75) over the same quantities: a phrase's frequency in a paper is
the sum of its weighted occurrences (ts_rank_cd of that phrase alone, without normalisation, is
exactly that), a paper's length is its number of tokens (kept beside its tsvector), the average
length and the number of papers come from search_totals, and a phrase's IDF from the number of
papers it matches. Both engines sum in the same order in doubles.

Where it cannot be the same: tsvectors keep at most 256 positions of one word and positions up to
16,383; a paper past those (a collaboration's thousands of authors) has its counts cut there.
"""
from __future__ import annotations

import math
import re
import sqlite3
import threading
from collections.abc import Iterable
from typing import Any

FTS5_TOKENIZE = "porter unicode61 remove_diacritics 2"  # as papers_fts (storage/migrations.py)
FIELDS = ("title", "abstract", "authors")  # FTS5's column order, which bm25's weights follow
_WEIGHT_OF_FIELD = {"title": "A", "abstract": "", "authors": "B"}  # abstract: D, the default
_MAX_POSITION = 16_383
_CACHE_LIMIT = 1_000_000
# Never a lexeme of the index (whose lexemes hold no space): what a phrase without words becomes.
NOTHING = "' '"

_FTS_TOKEN = re.compile(r'"((?:[^"]|"")*)"(\s*\*)?|\(|\)|\bAND\b|\bOR\b')


class _Tokenizer:
    """FTS5's tokenizer, through SQLite. Whitespace always separates FTS5 tokens, so each distinct
    whitespace-separated piece of text is tokenized once and remembered."""

    def __init__(self) -> None:
        self._conn = sqlite3.connect(":memory:", check_same_thread=False)
        self._conn.execute(f"CREATE VIRTUAL TABLE pieces USING fts5(x, content='', tokenize='{FTS5_TOKENIZE}')")
        self._conn.execute("CREATE VIRTUAL TABLE piece_tokens USING fts5vocab(pieces, instance)")
        self._known: dict[str, tuple[str, ...]] = {}
        self._lock = threading.Lock()

    def learn(self, pieces: Iterable[str]) -> None:
        missing = [p for p in dict.fromkeys(pieces) if p not in self._known]
        if not missing:
            return
        with self._lock:
            if len(self._known) + len(missing) > _CACHE_LIMIT:
                self._known.clear()
            self._conn.execute("INSERT INTO pieces(pieces) VALUES ('delete-all')")
            self._conn.executemany("INSERT INTO pieces(rowid, x) VALUES (?, ?)", enumerate(missing, 1))
            found: list[list[tuple[int, str]]] = [[] for _ in missing]
            for doc, offset, term in self._conn.execute("SELECT doc, offset, term FROM piece_tokens"):
                found[doc - 1].append((offset, term))
            for piece, tokens in zip(missing, found, strict=True):
                self._known[piece] = tuple(term for _, term in sorted(tokens))

    def tokens(self, text: str | None) -> list[str]:
        if not text:
            return []
        pieces = text.split()
        self.learn(pieces)
        known = self._known
        out: list[str] = []
        for piece in pieces:
            found = known.get(piece)
            if found is None:  # forgotten meanwhile (the cache was emptied by another thread)
                self.learn([piece])
                found = known[piece]
            out.extend(found)
        return out


TOKENIZER = _Tokenizer()


def tokens(text: str | None) -> list[str]:
    """The lexemes FTS5 indexes for a text (stemmed, lower case, in order)."""
    return TOKENIZER.tokens(text)


def _lexeme(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def document(title: str | None, abstract: str | None, authors: str | None) -> tuple[str, int]:
    """A paper's tsvector literal and its number of tokens (FTS5's row size)."""
    positions: dict[str, list[str]] = {}
    start, size = 1, 0
    for field, text in zip(FIELDS, (title, abstract, authors), strict=True):
        found = tokens(text)
        weight = _WEIGHT_OF_FIELD[field]
        for at, term in enumerate(found, start):
            positions.setdefault(term, []).append(f"{min(at, _MAX_POSITION)}{weight}")
        start += len(found) + 1
        size += len(found)
    return " ".join(f"{_lexeme(term)}:{','.join(at)}" for term, at in positions.items()), size


def documents(rows: list[tuple[Any, str | None, str | None, str | None]]) -> list[tuple[Any, str, int]]:
    """document() of each (id, title, abstract, authors), the new pieces tokenized in one pass."""
    TOKENIZER.learn(piece for _, *texts in rows for text in texts if text for piece in text.split())
    return [(ident, *document(title, abstract, authors)) for ident, title, abstract, authors in rows]


def phrase(terms: list[str], *, prefix_at: int | None = None, fields: str = "") -> str:
    """Lexemes next to each other as tsquery text, the one at `prefix_at` a prefix (FTS5's `"..."*`),
    each limited to the weights `fields` ("AD": title or abstract)."""
    if not terms:
        return NOTHING
    items = []
    for at, term in enumerate(terms):
        mark = ("*" if at == prefix_at else "") + fields
        items.append(f"{_lexeme(term)}:{mark}" if mark else _lexeme(term))
    return f"({' <-> '.join(items)})" if len(items) > 1 else items[0]


def expression(match_expression: str) -> tuple[str, list[str]]:
    """An FTS5 expression as paperboy.bot.search.fts writes them (quoted strings, a trailing * for a
    prefix, AND, OR, parentheses) as tsquery text, with each of its phrases alone, in order (bm25
    scores each phrase of the expression)."""
    parts: list[str] = []
    phrases: list[str] = []
    for match in _FTS_TOKEN.finditer(match_expression):
        token = match.group(0)
        if match.group(1) is None:
            parts.append({"AND": "&", "OR": "|"}.get(token, token))
            continue
        found = tokens(match.group(1).replace('""', '"'))
        text = phrase(found, prefix_at=len(found) - 1 if match.group(2) else None)
        phrases.append(text)
        parts.append(text)
    return " ".join(parts) or NOTHING, phrases


def rank_weights(weights: tuple[float, float, float]) -> tuple[str, float]:
    """bm25's (title, abstract, authors) weights as ts_rank_cd's array for D (abstract), C (unused),
    B (authors) and A (title), none above 1, and the factor that gives them back. The factor is a
    power of two, so weights such as 10, 1 and 2 stay exact and the frequencies are FTS5's."""
    title, abstract, authors = (max(0.0, float(w)) for w in weights)
    top = max(title, abstract, authors)
    scale = 2.0 ** math.ceil(math.log2(top)) if top > 0 else 1.0
    return "{" + ", ".join(repr(w / scale) for w in (abstract, 0.0, authors, title)) + "}", scale


def bm25_sql(phrases: int) -> str:
    """The ranked search: rowid and FTS5's bm25 (lower is better) of the papers matching the query,
    best first (ties by rowid, as SQLite's store orders them). Parameters: each phrase's tsquery
    (for its IDF), the query, then the weights array, its factor and each phrase's tsquery again
    (for its frequency), the limit. The arithmetic is FTS5's, term for term (fts5_aux.c), so the
    scores come out the same; OFFSET 0 keeps each frequency computed once per paper."""
    idfs = ", ".join(
        "(SELECT CASE WHEN x <= 0 THEN 1e-6::float8 ELSE x END FROM (SELECT ln((t.n - c.h + 0.5::float8) / "
        f"(c.h + 0.5::float8)) AS x FROM (SELECT count(*)::float8 AS h FROM paper_search WHERE search @@ ?::tsquery) c) "
        f"AS x) AS i{i}" for i in range(phrases)) or "0 AS none"
    frequencies = "".join(f", ts_rank_cd(w.a, m.search, ?::tsquery, 0)::float8 * w.scale AS f{i}"
                          for i in range(phrases))
    score = "0.0::float8"
    for i in range(phrases):
        score = (f"({score} + i.i{i} * ((m.f{i} * (1.2::float8 + 1.0::float8)) / "
                 f"(m.f{i} + 1.2::float8 * (1::float8 - 0.75::float8 + 0.75::float8 * m.d / t.avgdl))))")
    return (
        "WITH t AS MATERIALIZED (SELECT papers::float8 AS n, tokens::float8 / nullif(papers, 0)::float8 AS avgdl "
        f"FROM search_totals LIMIT 1), i AS MATERIALIZED (SELECT {idfs} FROM t), "
        "w AS MATERIALIZED (SELECT ?::float4[] AS a, ?::float8 AS scale), "
        "m AS MATERIALIZED (SELECT s.rowid, s.tokens::float8 AS d, s.search FROM paper_search s "
        "WHERE s.search @@ ?::tsquery) "
        f"SELECT m.rowid, -1.0::float8 * {score} AS rank FROM "
        f"(SELECT m.rowid, m.d{frequencies} FROM m, w OFFSET 0) m, i, t ORDER BY rank, m.rowid LIMIT ?")


def bm25_parameters(query: str, phrases: list[str], weights: tuple[float, float, float], limit: int) -> list[Any]:
    array, scale = rank_weights(weights)
    return [*phrases, array, scale, query, *phrases, limit]


_STAGE = ('CREATE TEMP TABLE IF NOT EXISTS search_stage (key text COLLATE "C", search tsvector, tokens integer) '
          "ON COMMIT DELETE ROWS")
# The staged papers' entries replace their old ones, and the totals bm25 reads follow: every paper
# write holds the "papers" lock, so no two of these run at once.
_FROM_STAGE = (
    "WITH staged AS (SELECT p.rowid, w.search, w.tokens FROM search_stage w JOIN papers p ON p.key = w.key), "
    "old AS (SELECT s.rowid, s.tokens FROM paper_search s JOIN staged USING (rowid)), "
    "totals AS (UPDATE search_totals SET papers = papers + (SELECT count(*) FROM staged) - (SELECT count(*) FROM old), "
    "tokens = tokens + (SELECT coalesce(sum(tokens), 0) FROM staged) - (SELECT coalesce(sum(tokens), 0) FROM old)) "
    "INSERT INTO paper_search (rowid, search, tokens) SELECT rowid, search, tokens FROM staged "
    "ON CONFLICT (rowid) DO UPDATE SET search = excluded.search, tokens = excluded.tokens")


def index(conn: Any, papers: list[tuple[str, str | None, str | None, str | None]]) -> None:
    """Inside a transaction holding the "papers" lock: these (key, title, abstract, authors) papers'
    entries, staged by COPY and stored in one statement."""
    conn.execute(_STAGE)
    conn.execute("DELETE FROM search_stage")
    with conn.cursor() as cursor, cursor.copy("COPY search_stage FROM STDIN") as copy:
        for row in documents(papers):
            copy.write_row(row)
    conn.execute(_FROM_STAGE)


def reindex_all(conn: Any, batch: int = 5_000) -> None:
    """Every paper's entry written anew (a migration step, inside its transaction): the index
    dropped, refilled by COPY and built again at the end, which is faster than keeping it meanwhile."""
    conn.execute("DROP INDEX IF EXISTS paper_search_words")
    conn.execute("TRUNCATE paper_search")
    with conn.cursor(name="every_paper") as papers:
        papers.itersize = batch
        papers.execute("SELECT rowid, title, abstract, authors FROM papers ORDER BY rowid")
        while rows := papers.fetchmany(batch):
            with conn.cursor() as cursor, cursor.copy("COPY paper_search (rowid, search, tokens) FROM STDIN") as copy:
                for row in documents([tuple(r) for r in rows]):
                    copy.write_row(row)
    conn.execute("UPDATE search_totals SET papers = (SELECT count(*) FROM paper_search), "
                 "tokens = (SELECT coalesce(sum(tokens), 0) FROM paper_search)")
    conn.execute("CREATE INDEX paper_search_words ON paper_search USING gin (search)")
