"""arXiv's OAI-PMH interface: every new and changed paper of a set (cs, math, physics:hep-ph), a
page at a time, with the metadataPrefix=arXiv records (authors split into names, categories, DOI).

Paced by the same gate as the arXiv API (one request every 3 seconds, across processes); a 503
with Retry-After is waited out by the shared fetch. `noRecordsMatch` is an empty answer, not an error.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import httpx

from paperboy.bot.models import Paper
from paperboy.bot.sources.arxiv import ARXIV_POLICY, ArxivGate
from paperboy.bot.sources.http import Reachability, RetryPolicy, SourceError, fetch
from paperboy.bot.sources.records import BadRecord, Skipped, arxiv_id_of, codes, day_of, names, tidy, title_of
from paperboy.bot.sources.xml import text_of, xml_root

SOURCE = "arxiv-oai"
DEFAULT_OAI_URL = "https://oaipmh.arxiv.org/oai"
_OAI = "{http://www.openarchives.org/OAI/2.0/}"
_ARXIV = "{http://arxiv.org/OAI/arXiv/}"
# arXiv's archives as OAI sets; a set may narrow to one category, "math:math:RT", "physics:hep-ph".
ARCHIVE_SETS = ("cs", "econ", "eess", "math", "physics", "q-bio", "q-fin", "stat")
_SET = re.compile(r"(?:cs|econ|eess|math|physics|q-bio|q-fin|stat)(?::[a-z-]+(?::[A-Za-z-]+)?)?")
_PHYSICS = ("astro-ph", "cond-mat", "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math-ph", "nlin",
            "nucl-ex", "nucl-th", "physics", "quant-ph")


class ExpiredToken(SourceError):
    """The resumption token is no longer valid (they expire): start again from the last datestamp."""


@dataclass(frozen=True)
class OaiPage:
    papers: tuple[Paper, ...]
    deleted: tuple[str, ...]  # arXiv ids whose records arXiv deleted
    token: str | None  # resumption token for the next page; None on the last page
    last_datestamp: str | None  # the latest datestamp of this page's records
    skipped: tuple[Skipped, ...] = ()


def set_of(category: str) -> str | None:
    """The OAI set that holds an arXiv category: cs.LG in cs, hep-th in physics, math.AG in math."""
    archive = category.split(".")[0]
    if archive in ARCHIVE_SETS:
        return archive
    if archive in _PHYSICS or archive.split("-")[0] in ("astro", "cond", "nucl", "hep"):
        return "physics"
    return None


def valid_set(name: str) -> bool:
    return bool(_SET.fullmatch(name or ""))


def parse_page(content: bytes) -> OaiPage:
    """One ListRecords answer. An OAI error other than noRecordsMatch is a SourceError."""
    root = xml_root(content, f"{_OAI}OAI-PMH", format="OAI-PMH XML", answer="an OAI-PMH answer",
                    source=SOURCE)
    error = root.find(f"{_OAI}error")
    if error is not None:
        if error.get("code") == "noRecordsMatch":
            return OaiPage((), (), None, None)
        if error.get("code") == "badResumptionToken":
            raise ExpiredToken("the resumption token has expired", source=SOURCE)
        raise SourceError(f"arXiv's OAI-PMH says {error.get('code')}: {tidy(error.text) or ''}", source=SOURCE)
    listing = root.find(f"{_OAI}ListRecords")
    if listing is None:
        raise SourceError("the answer has no ListRecords", source=SOURCE)
    papers: list[Paper] = []
    deleted: list[str] = []
    skipped: list[Skipped] = []
    stamps: list[str] = []
    for position, record in enumerate(listing.findall(f"{_OAI}record"), 1):
        header = record.find(f"{_OAI}header")
        if header is None:
            skipped.append(Skipped(position, "a record without a header"))
            continue
        stamp = day_of(text_of(header.find(f"{_OAI}datestamp")))
        if stamp:
            stamps.append(stamp)
        if header.get("status") == "deleted":
            found = arxiv_id_of((text_of(header.find(f"{_OAI}identifier")) or "").removeprefix("oai:arXiv.org:"))
            if found:
                deleted.append(found)
            continue
        try:
            papers.append(_paper(record))
        except BadRecord as exc:
            skipped.append(Skipped(position, str(exc)))
    token_element = listing.find(f"{_OAI}resumptionToken")
    token = tidy(token_element.text) if token_element is not None else None
    return OaiPage(tuple(papers), tuple(deleted), token, max(stamps, default=None), tuple(skipped))


def _paper(record: ET.Element) -> Paper:
    meta = record.find(f"{_OAI}metadata/{_ARXIV}arXiv")
    if meta is None:
        raise BadRecord("no arXiv metadata")
    arxiv_id = arxiv_id_of(tidy(text_of(meta.find(f"{_ARXIV}id"))) or "")
    if arxiv_id is None:
        raise BadRecord(f"not an arXiv id: {text_of(meta.find(f'{_ARXIV}id'))!r}")
    authors = []
    for author in meta.findall(f"{_ARXIV}authors/{_ARXIV}author"):
        parts = [tidy(text_of(author.find(f"{_ARXIV}{tag}"))) for tag in ("forenames", "keyname", "suffix")]
        authors.append(" ".join(p for p in parts if p))
    return Paper(
        key=arxiv_id,
        arxiv_id=arxiv_id,
        title=title_of(text_of(meta.find(f"{_ARXIV}title"))),
        abstract=tidy(text_of(meta.find(f"{_ARXIV}abstract"))),
        authors=names(authors),
        published=day_of(text_of(meta.find(f"{_ARXIV}created"))),
        updated=day_of(text_of(meta.find(f"{_ARXIV}updated"))),
        categories=codes((text_of(meta.find(f"{_ARXIV}categories")) or "").split()),
        doi=tidy(text_of(meta.find(f"{_ARXIV}doi"))),
        journal_ref=tidy(text_of(meta.find(f"{_ARXIV}journal-ref"))),
        comments=tidy(text_of(meta.find(f"{_ARXIV}comments"))),
        source="arxiv",
    )


class OaiSource:
    def __init__(self, client: httpx.AsyncClient, base_url: str = DEFAULT_OAI_URL, *, gate: ArxivGate,
                 policy: RetryPolicy = ARXIV_POLICY, reach: Reachability | None = None):
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.gate = gate
        self.policy = policy
        self.reach = reach

    async def page(self, set_spec: str, since: str, until: str, token: str | None = None) -> OaiPage:
        """The first page of a set's records with datestamps from `since` to `until` (YYYY-MM-DD),
        or the page a resumption token names (the request then carries only the token)."""
        if token:
            params = {"verb": "ListRecords", "resumptionToken": token}
        else:
            if not valid_set(set_spec):
                raise ValueError(f"not an arXiv OAI set: {set_spec!r}")
            params = {"verb": "ListRecords", "metadataPrefix": "arXiv", "set": set_spec, "from": since,
                      "until": until}
        fetched = await fetch(self.client, self.base_url, params=params, source=SOURCE, policy=self.policy,
                              sleep=self.gate.clock.sleep, pace=self.gate.slot, reach=self.reach)
        return parse_page(fetched.content)
