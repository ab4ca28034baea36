"""arXiv identifiers in the many shapes people paste them: bare ids, arXiv: prefixes, DOIs and links.

Everything resolves to the bare id with no version: "2309.12288", or "hep-th/9901001" for the
pre-2007 scheme. An old-style id's subject class ("math.GT/0309136") is not part of the
identifier, so it is dropped: arXiv itself answers "math.GT/0309136" with "math/0309136".
"""
from __future__ import annotations

import re

# Archives of the pre-2007 scheme; listing them keeps "foo/1234567" from passing as an id.
_OLD_ARCHIVES = (
    "acc-phys", "adap-org", "alg-geom", "ao-sci", "astro-ph", "atom-ph", "bayes-an", "chao-dyn",
    "chem-ph", "cmp-lg", "comp-gas", "cond-mat", "cs", "dg-ga", "funct-an", "gr-qc", "hep-ex",
    "hep-lat", "hep-ph", "hep-th", "math", "math-ph", "mtrl-th", "nlin", "nucl-ex", "nucl-th",
    "patt-sol", "physics", "plasm-ph", "q-alg", "q-bio", "q-fin", "quant-ph", "solv-int", "stat",
    "supr-con",
)
_ARCHIVE = "|".join(sorted((re.escape(a) for a in _OLD_ARCHIVES), key=len, reverse=True))

_ID = (
    r"(?:(?P<new>(?P<yymm>\d{4})\.\d{4,5})(?!\d)"
    rf"|(?P<old>(?P<archive>{_ARCHIVE})(?:\.[A-Za-z]{{2}})?/(?P<oldnum>\d{{7}})(?!\d)))"
    r"(?:v\d+)?"
)
_LINK_PATH = (
    r"(?:(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html|format)/"
    r"|ar5iv(?:\.labs\.arxiv)?\.org/(?:abs|html)/"
    r"|(?:www\.)?(?:huggingface|hf)\.co/papers/"
    r"|(?:www\.)?alphaxiv\.org/(?:abs|overview|pdf)/)"
)
_TAIL = r"(?:\.pdf)?/?(?:[?#][^\s<>|]*)?"

_LINK = re.compile(rf"(?:https?://)?{_LINK_PATH}{_ID}{_TAIL}", re.IGNORECASE)
_DOI = re.compile(
    rf"(?:(?:https?://)?(?:dx\.)?doi\.org/|doi:\s*)?10\.48550/arxiv\.{_ID}", re.IGNORECASE)
_PREFIXED = re.compile(rf"arxiv\s*[:/.]?\s*{_ID}", re.IGNORECASE)
_BARE = re.compile(_ID, re.IGNORECASE)
_FULL_FORMS = (_LINK, _DOI, _PREFIXED, _BARE)

_LINK_IN_TEXT = re.compile(rf"(?<![\w.@/-])(?:https?://)?{_LINK_PATH}{_ID}{_TAIL}", re.IGNORECASE)


def _bare_id(match: re.Match) -> str | None:
    if match.group("new"):
        yymm = match.group("yymm")
        # The scheme began in 0704 with 4-digit numbers; 5 digits from 1501 on.
        digits_expected = 4 if yymm < "1501" else 5
        valid = yymm >= "0704" and 1 <= int(yymm[2:]) <= 12 and len(match.group("new")) == 5 + digits_expected
        return match.group("new") if valid else None
    archive = match.group("archive").lower()
    number = match.group("oldnum")
    return f"{archive}/{number}" if 1 <= int(number[2:4]) <= 12 else None


def _unwrap(text: str) -> str:
    """Strips whitespace, <...> and Slack's <url|label> wrapping and trailing sentence punctuation."""
    text = text.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].split("|", 1)[0].strip()
    return text.rstrip(".,;:!)]}'\"").lstrip("([{'\"")


def parse_paper_id(text: str) -> str | None:
    """The bare arXiv id when the whole text is one id form (bare, arXiv:, DOI, link), else None."""
    if not text or len(text) > 500:
        return None
    candidate = _unwrap(text)
    for form in _FULL_FORMS:
        match = form.fullmatch(candidate)
        if match:
            return _bare_id(match)
    return None


def find_paper_links(text: str) -> list[str]:
    """Every arXiv, Hugging Face or alphaXiv paper link in a message, as written, first seen first."""
    found: list[str] = []
    for match in _LINK_IN_TEXT.finditer(text or ""):
        link = match.group(0).rstrip(".,;:!)")
        if _bare_id(match) and link not in found:
            found.append(link)
    return found


def find_paper_ids(text: str) -> list[str]:
    """The bare ids behind find_paper_links, without repeats."""
    ids: list[str] = []
    for link in find_paper_links(text):
        paper_id = parse_paper_id(link)
        if paper_id and paper_id not in ids:
            ids.append(paper_id)
    return ids
