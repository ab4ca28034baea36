"""Papers as BibTeX entries in arXiv's own style:

    @misc{berglund2023reversal,
          title = {The Reversal Curse: ...},
          author = {Lukas Berglund and Meg Tong},
          year = {2023},
          eprint = {2309.12288},
          archivePrefix = {arXiv},
          primaryClass = {cs.CL},
          url = {https://arxiv.org/abs/2309.12288},
    }

A key is the first author's family name, the year and the title's first word that says something
(arXiv's pattern), made unique within one export. Text is escaped for LaTeX, except what already is
LaTeX: arXiv keeps titles in LaTeX, so math between dollars and backslash commands stay as given.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from paperboy.bot.models import Paper
from paperboy.bot.text import words

# Title words that say nothing about the paper, passed over when making a key.
_FILLER = frozenset("a an the on of for and in to with from via towards toward is are do does how what why when "
                    "we our can".split())
_MATH = re.compile(r"(?<!\\)\$[^$]+(?<!\\)\$")
_COMMAND = re.compile(r"\\(?:[A-Za-z]+|.)")
# BibTeX counts every brace, escaped or not: a lone brace is written as a command that has none.
_SPECIAL = {"&": r"\&", "%": r"\%", "#": r"\#", "_": r"\_", "$": r"\$",
            "{": r"\textbraceleft{}", "}": r"\textbraceright{}", "~": r"\textasciitilde{}",
            "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}


def bibtex(papers: Iterable[Paper]) -> str:
    """Entries for the papers, in their order, with keys unique among them."""
    taken: set[str] = set()
    entries = []
    for paper in papers:
        key = base = entry_key(paper)
        suffix = 1
        while key in taken:
            suffix += 1
            key = f"{base}{chr(ord('a') + suffix - 2)}" if suffix <= 27 else f"{base}-{suffix}"
        taken.add(key)
        entries.append(entry(paper, key))
    return "\n".join(entries)


def entry_key(paper: Paper) -> str:
    """arXiv's pattern: family name, year, first telling title word ("berglund2023reversal")."""
    family = ""
    if paper.authors:
        first = paper.authors[0]
        name = first.split(",")[0] if "," in first else (first.split() or [""])[-1]
        family = "".join(words(name))
    year = (paper.published or "")[:4] if (paper.published or "")[:4].isdigit() else ""
    title_word = next((w for w in words(paper.title or "") if w not in _FILLER and w.isalpha()), "")
    key = f"{family}{year}{title_word}"
    return re.sub(r"[^a-z0-9]", "", key) or "paper"


def entry(paper: Paper, key: str) -> str:
    fields: list[tuple[str, str]] = [("title", latex(paper.title or "Untitled"))]
    if paper.authors:
        fields.append(("author", " and ".join(_author(name) for name in paper.authors)))
    if (paper.published or "")[:4].isdigit():
        fields.append(("year", paper.published[:4]))
    if paper.arxiv_id:
        fields += [("eprint", paper.arxiv_id), ("archivePrefix", "arXiv")]
        if paper.categories:
            fields.append(("primaryClass", paper.categories[0]))
    elif paper.venue:
        fields.append(("howpublished", latex(paper.venue)))
    if paper.doi:
        fields.append(("doi", _verbatim(paper.doi)))
    if paper.journal_ref:
        fields.append(("note", latex(paper.journal_ref)))
    if paper.url:
        fields.append(("url", _verbatim(paper.url)))
    body = "".join(f"      {name} = {{{value}}},\n" for name, value in fields)
    return f"@misc{{{key},\n{body}}}\n"


def latex(text: str) -> str:
    """Text for a BibTeX field: LaTeX's special characters escaped, except in what is LaTeX already
    (math between dollars, backslash commands and their braces), and braces always balanced."""
    if "\\" not in text and "$" not in text:
        return _escaped(text, keep_braces=False)
    out, last = [], 0
    for math in _MATH.finditer(text):
        out.append(_escaped_prose(text[last:math.start()]))
        out.append(math.group(0))
        last = math.end()
    out.append(_escaped_prose(text[last:]))
    joined = "".join(out)
    return joined if _balanced(joined) else _escaped(text, keep_braces=False)


def _escaped_prose(text: str) -> str:
    """Prose that may hold LaTeX commands (Schr\\"{o}dinger): the commands and braces kept."""
    out, last = [], 0
    for command in _COMMAND.finditer(text):
        out.append(_escaped(text[last:command.start()], keep_braces=True))
        out.append(command.group(0))
        last = command.end()
    out.append(_escaped(text[last:], keep_braces=True))
    return "".join(out)


def _escaped(text: str, *, keep_braces: bool) -> str:
    return "".join(ch if keep_braces and ch in "{}" else _SPECIAL.get(ch, ch) for ch in text)


def _balanced(text: str) -> bool:
    depth = 0
    for ch in _COMMAND.sub("", text):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def _author(name: str) -> str:
    """One name; braced when it holds the word "and" (a company, a consortium)."""
    clean = latex(" ".join(name.split()))
    return f"{{{clean}}}" if re.search(r"\band\b", clean, re.I) else clean


def _verbatim(text: str) -> str:
    """A URL or DOI: kept as it is, but braces, which would end the field, are percent-encoded."""
    return text.replace("{", "%7B").replace("}", "%7D")
