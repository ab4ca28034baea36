"""One paper per work. A record without an arXiv id whose title (and first author, when both have
one) equals another paper's is the same paper: stored, it is merged into that paper, filling only
what the paper lacks; and an arXiv record arriving for a paper stored without an id takes that row
over (same rowid: the full-text and title indexes follow without rework).

Rows here are the value tuples of storage.sql (PAPER_COLUMNS order); `conn` is a store's open
transaction.
"""
from __future__ import annotations

import json
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

KEY, ARXIV_ID, NORM_TITLE, AUTHORS = 0, 1, 3, 5
# A title this short ("Introduction", "Deep Residual Learning") names one work only with its author.
MIN_WORDS_WITHOUT_AUTHOR = 4


@dataclass(frozen=True)
class Stored:
    key: str
    arxiv_id: str | None
    norm_title: str
    authors: str
    on_a_list: bool  # a daily list names it: its key must stay


@dataclass
class Plan:
    rows: list[tuple] = field(default_factory=list)  # stored as usual
    merges: list[tuple[str, tuple]] = field(default_factory=list)  # (target key, row): fills the target's blanks
    rekeys: list[tuple[str, str, str]] = field(default_factory=list)  # (stored key, arXiv key, arXiv id)
    merged_positions: set[int] = field(default_factory=set)  # batch positions of the merged rows


def family_name(authors_json: str) -> str | None:
    """The first author's family name, in a form that survives initials and accents."""
    if not authors_json or authors_json == "[]":
        return None
    try:
        first = json.loads(authors_json)[0]
    except (ValueError, IndexError, TypeError):
        return None
    if not isinstance(first, str) or not first.strip():
        return None
    name = first.split(",")[0] if "," in first else first.split()[-1]
    text = unicodedata.normalize("NFKD", name.strip().lower())
    return "".join(ch for ch in text if ch.isalnum()) or None


def same_work(norm_title: str, authors: str, other_authors: str) -> bool:
    mine, theirs = family_name(authors), family_name(other_authors)
    if mine is not None and theirs is not None:
        return mine == theirs
    return len(norm_title.split()) >= MIN_WORDS_WITHOUT_AUTHOR


def stored_alike(conn: Any, rows: list[tuple]) -> list[Stored]:
    """Stored papers that rows could merge with: any paper with the title of a row without an id,
    and papers without an id with the title of a row with one."""
    without_id = sorted({r[NORM_TITLE] for r in rows if r[ARXIV_ID] is None})
    with_id = sorted({r[NORM_TITLE] for r in rows if r[ARXIV_ID] is not None} - set(without_id))
    found: dict[str, Stored] = {}
    for titles, only_without_id in ((without_id, False), (with_id, True)):
        for start in range(0, len(titles), 900):
            chunk = titles[start:start + 900]
            sql = (f"SELECT key, arxiv_id, norm_title, authors, "
                   f"EXISTS (SELECT 1 FROM daily_lists d WHERE d.paper_key = p.key) "
                   f"FROM papers p WHERE norm_title IN ({','.join('?' * len(chunk))})"
                   + (" AND arxiv_id IS NULL" if only_without_id else ""))
            for key, arxiv_id, norm, authors, listed in conn.execute(sql, chunk):
                found[key] = Stored(key, arxiv_id, norm, authors, bool(listed))
    return list(found.values())


def stored_alike_staged(conn: Any) -> list[Stored]:
    """stored_alike for rows staged in the bulk load's paper_stage, in one join: each staged row's title is
    looked up in the title index, and only papers it could merge with come back (a re-import
    finding its own rows returns nothing)."""
    rows = conn.execute(
        "SELECT DISTINCT p.key, p.arxiv_id, p.norm_title, p.authors, "
        "EXISTS (SELECT 1 FROM daily_lists d WHERE d.paper_key = p.key) "
        "FROM paper_stage s JOIN papers p ON p.norm_title = s.norm_title "
        "WHERE p.key != s.key AND (s.arxiv_id IS NULL OR p.arxiv_id IS NULL)")
    return [Stored(key, arxiv_id, norm, authors, bool(listed)) for key, arxiv_id, norm, authors, listed in rows]


def plan(rows: list[tuple], stored: list[Stored]) -> Plan:
    """What to do with each row so that every work ends as one paper."""
    result = Plan()
    if not stored and all(r[ARXIV_ID] is not None for r in rows):
        result.rows = rows
        return result
    by_title: dict[str, list[int]] = defaultdict(list)
    for position, row in enumerate(rows):
        by_title[row[NORM_TITLE]].append(position)
    stored_by_title: dict[str, list[Stored]] = defaultdict(list)
    for paper in stored:
        stored_by_title[paper.norm_title].append(paper)
    keys_taken = {s.key for s in stored}
    for title, positions in by_title.items():
        alike = stored_by_title.get(title, [])
        if not alike and (len(positions) < 2 or all(rows[p][ARXIV_ID] is not None for p in positions)):
            continue
        _plan_title(rows, positions, alike, keys_taken, result)
    result.rows = [row for position, row in enumerate(rows) if position not in result.merged_positions]
    return result


def _plan_title(rows: list[tuple], positions: list[int], alike: list[Stored], keys_taken: set[str],
                result: Plan) -> None:
    """One title's rows and stored papers: the paper they become, and what joins it."""
    target_key, target_authors = None, ""
    with_id = [s for s in alike if s.arxiv_id is not None]
    if with_id:
        target_key, target_authors = with_id[0].key, with_id[0].authors
    else:
        incoming_with_id = [p for p in positions if rows[p][ARXIV_ID] is not None]
        if incoming_with_id:
            first = rows[incoming_with_id[0]]
            target_key, target_authors = first[KEY], first[AUTHORS]
            if first[KEY] not in keys_taken:  # the arXiv record takes over a stored one without an id
                for paper in alike:
                    if not paper.on_a_list and same_work(paper.norm_title, paper.authors, first[AUTHORS]):
                        result.rekeys.append((paper.key, first[KEY], first[ARXIV_ID]))
                        keys_taken.add(first[KEY])
                        break
        elif alike:
            target_key, target_authors = alike[0].key, alike[0].authors
        else:
            first = rows[positions[0]]
            target_key, target_authors = first[KEY], first[AUTHORS]
    for position in positions:
        row = rows[position]
        if row[ARXIV_ID] is None and row[KEY] != target_key \
                and same_work(row[NORM_TITLE], row[AUTHORS], target_authors):
            result.merges.append((target_key, row))
            result.merged_positions.add(position)
