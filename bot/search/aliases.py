"""The names papers go by ("LoRA", "ViT", "word2vec", "the CLIP paper"), mined from what papers say
about themselves, and the rule that picks the paper a name means.

A paper names itself in three ways, each an `Alias` of a kind:
  title_name       the title's own name before its colon ("LoRA: Low-Rank Adaptation of ..."), or
                   before "Technical Report" ("Gemma 3 Technical Report");
  introduced_name  a name the abstract gives what it introduces ("we introduce Toolformer, a model",
                   "a new model called BERT", "we propose Vision Transformer (ViT)");
  defined_acronym  an acronym spelled out in the title or abstract ("Vision Transformer (ViT)"),
                   kept only when its letters are the initials (or the first letters) of the words
                   before the parenthesis: "Large Language Model (LoRA)" is no definition.
The first two say the paper introduces the name; an acronym defined in passing is mostly a paper
that uses a name someone else introduced. `choose` weighs the papers behind a name: the
introducer answers; a name several papers introduce (or that means different things in different
fields) answers a short list; a name everyone merely defines ("LLM") is left to the usual ranking.

Names are compared by `alias_key`: the name's words (paperboy.bot.text, the one folding) joined,
so "GPT-3", "gpt 3" and "GPT3" are one name, and "ViT" is "VIT".
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from paperboy.bot.models import Named
from paperboy.bot.search.common_words import is_common_in_abstracts
from paperboy.bot.search.fts import content_tokens
from paperboy.bot.spelling import canonical
from paperboy.bot.text import words

TITLE_NAME, INTRODUCED_NAME, DEFINED_ACRONYM = "title_name", "introduced_name", "defined_acronym"
STRENGTH = {TITLE_NAME: 3, INTRODUCED_NAME: 2, DEFINED_ACRONYM: 1}

MAX_ALIAS_WORDS = 3
SHORT_LIST = 5  # papers a name answers at most when it is ambiguous
RECENT_YEARS = 2  # how long before its first users a paper not spelling a name out may have coined it
MANY_USERS = 100  # papers defining a name beyond which a definition is no sign of the introducer


@dataclass(frozen=True)
class Alias:
    alias: str  # alias_key of the name
    kind: str
    expansion: str = ""  # what an acronym stands for, as expansion_key ("" when unknown)

    @property
    def strength(self) -> int:
        return STRENGTH[self.kind]


def strength_of(named: Named) -> int:
    return STRENGTH.get(named.kind, 0)


def alias_key(text: str) -> str:
    """A name in the form names are compared in: its folded words, joined ("GPT-3" is "gpt3")."""
    return "".join(words(text))


def expansion_key(expansion_words: list[str]) -> str:
    """What an acronym stands for, compared without a plural ("Networks" is "network")."""
    folded = words(" ".join(expansion_words))
    if folded and len(folded[-1]) > 3 and folded[-1].endswith("s") and not folded[-1].endswith("ss"):
        folded[-1] = folded[-1][:-1]
    return " ".join(folded)


# ---- what a name looks like -----------------------------------------------------------------

_TOKEN = r"[A-Za-z][A-Za-z0-9]*(?:[-.][A-Za-z0-9]+)*"
_LATER_TOKEN = r"[A-Za-z0-9]+(?:[-.][A-Za-z0-9]+)*"  # "Llama 2"
_NOT_NAMES = frozenset("""
a an the this that these our its their on in of for and or to with from by at as is are be we it
review survey erratum corrigendum addendum editorial comment comments reply response correction
introduction preface foreword tutorial keynote abstract poster position perspective perspectives
overview summary report chapter part section appendix note notes letter commentary discussion
proceedings workshop special issue volume book thesis lecture lectures invited talk panel
retraction withdrawn update case study background towards toward beyond revisited rethinking
annual final interim progress quarterly yearly technical
""".split())


def _is_strict_name(token: str) -> bool:
    """A token shaped like a name: two capitals ("BERT", "ViT"), a capital after a small letter
    ("LoRA", "word2Vec"), or letters with digits ("GPT-3", "word2vec", "T5")."""
    letters = [c for c in token if c.isalpha()]
    if not letters:
        return False
    uppers = sum(c.isupper() for c in letters)
    if uppers >= 2 and len(letters) >= 2:
        return True
    if any(a.islower() and b.isupper() for a, b in zip(token, token[1:], strict=False)):
        return True
    return any(c.isdigit() for c in token) and len(letters) >= 1 and len(token) >= 2


def _is_coined_word(token: str) -> bool:
    """A capitalized word no paper would use as a plain word ("Toolformer", "Mamba")."""
    if not (token[:1].isupper() and token[1:].islower() and token.isalpha() and len(token) >= 4):
        return False
    word = token.lower()
    return word not in _NOT_NAMES and not is_common_in_abstracts(word)


def _is_name(token: str) -> bool:
    return token.lower() not in _NOT_NAMES and (_is_strict_name(token) or _is_coined_word(token))


def _name_alias(text: str) -> str | None:
    """The alias of a name of at most three tokens, at least one of them shaped like a name."""
    tokens = text.split()
    if len(tokens) > 1 and re.fullmatch(r"[A-Z][a-z]{1,2}\.", tokens[0]):  # "Dr. GRPO": the title goes with the name
        tokens = [tokens[0][:-1] + tokens[1], *tokens[2:]]
    if not 1 <= len(tokens) <= MAX_ALIAS_WORDS or not re.fullmatch(_TOKEN, tokens[0]) \
            or any(not re.fullmatch(_LATER_TOKEN, t) for t in tokens[1:]):
        return None
    if not any(_is_name(t) for t in tokens) or any(t.lower() in _NOT_NAMES for t in tokens):
        return None
    # Several words make a name only in title case and with one shaped like a name ("Llama 2"),
    # not "Bayesian framework".
    if len(tokens) > 1 and not (all(t[0].isupper() or t[0].isdigit() for t in tokens)
                                and any(_is_strict_name(t) or t.isdigit() for t in tokens)):
        return None
    key = alias_key(text)
    return key if len(key) >= 2 else None


# ---- acronyms and what they stand for --------------------------------------------------------

_FUNCTION_WORDS = frozenset("a an the of for and or to in on with from by via as at based using".split())
_PIECE = re.compile(r"[A-Za-z0-9]+|-")


def _pieces(text: str) -> list[tuple[str, bool]]:
    """The words of `text` as (word, joined): joined when a hyphen ties it to the word before."""
    found: list[tuple[str, bool]] = []
    joined = False
    for piece in _PIECE.findall(text):
        if piece == "-":
            joined = bool(found)
            continue
        found.append((piece, joined))
        joined = False
    return found


def acronym_letters(acronym: str) -> str | None:
    """The letters an acronym must take from its expansion, lower case ("GANs" -> "gan"), or None
    for what is no acronym (fewer than two capitals, digits, too long)."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z-]{1,11}", acronym):
        return None
    if acronym.endswith("s") and sum(c.isupper() for c in acronym[:-1]) >= 2 and acronym[-2:-1].isupper():
        acronym = acronym[:-1]  # a plural: "GANs"
    letters = acronym.replace("-", "")
    if sum(c.isupper() for c in letters) < 2 or not 2 <= len(letters) <= 10:
        return None
    return letters.lower()


def expansion_of(letters: str, before: str) -> list[str] | None:
    """The words at the end of `before` that `letters` abbreviates, or None. Each word of the
    expansion gives the acronym its first letter, or its first few
    ("Vision Transformer" is ViT, "Low-Rank Adaptation" is LoRA); small words ("of", "from") and
    the later halves of hyphenated words ("Pre-training") may give none. The shortest that fits."""
    pieces = _pieces(before)[-(len(letters) + 5):]
    for start in range(len(pieces) - 1, -1, -1):
        word, joined = pieces[start]
        if joined or word.lower() in _FUNCTION_WORDS or word[0].lower() != letters[0]:
            continue
        if _spells(letters, tuple(w.lower() for w, _ in pieces[start:]),
                   tuple(j or w.lower() in _FUNCTION_WORDS for w, j in pieces[start:])):
            return [w for w, _ in pieces[start:]]
    return None


@lru_cache(maxsize=4096)
def _spells(letters: str, pieces: tuple[str, ...], optional: tuple[bool, ...]) -> bool:
    """Whether `letters` is spelled by the pieces in order, as expansion_of says."""
    if not pieces:
        return not letters
    word, rest, rest_optional = pieces[0], pieces[1:], optional[1:]
    if optional[0] and _spells(letters, rest, rest_optional):
        return True
    # The word gives the acronym its first letter, or the first few ("Vi" of "Vision").
    taken = 0
    while taken < min(len(letters), len(word)) and word[taken] == letters[taken]:
        taken += 1
        if _spells(letters[taken:], rest, rest_optional):
            return True
    return False


# ---- mining ----------------------------------------------------------------------------------

_TITLE_NAME = re.compile(r"^\s*([^:]{2,40}?)\s*:\s*\S")
_REPORT_TITLE = re.compile(r"^\s*(.{2,40}?)\s+(?:Technical\s+Report|Model\s+Card|System\s+Card)\s*$", re.IGNORECASE)
_DEFINED = re.compile(r"\(\s*([A-Za-z][A-Za-z-]{1,12})\s*\)")
_CLAUSE_END = re.compile(r"[.;:!?()\[\]]\s")
_ABBREVIATION = r"(?:[A-Z][a-z]{1,2}\.\s)?"  # "Dr. GRPO"
_KIND_WORD = r"(?:model|method|framework|approach|algorithm|architecture|system|benchmark|dataset)s?\b"
_INTRODUCING = (r"(?:\b[Ww]e\s+(?:also\s+|further\s+|then\s+)?(?:introduce|propose|present|develop|train|release|"
                r"build|design|describe|unveil|call|name|dub|term)|\b(?:called|named|dubbed|termed|coined)\b)")
_INTRODUCED = re.compile(
    _INTRODUCING + r"\s+(?:(?:it|this|them|these|our|an?|the|new|novel|simple|open|first|family|"
    r"of|model|models|method|approach|framework|system|architecture|dataset|benchmark|tool|library|"
    r"technique|algorithm|language|large)\s+){0,4}[\"“']?(" + _ABBREVIATION + _TOKEN + r"(?:\s+" + _LATER_TOKEN + r"){0,2}?)"
    r"[\"”']?(?:\s+" + _KIND_WORD + r")?"
    r"(?=\s*(?:,|:|\(|\.\s|\.$|;|—|–|\s-\s|\s--\s|\s+which\b|\s+that\b|\s+to\b|\s+for\b|\s+as\b|$))")
# "We propose Low-Rank Adaptation, or LoRA, which ..."
_OR_NAMED = re.compile(_INTRODUCING + r"\s+[^.;:()]{3,80}?,\s+or\s+(" + _TOKEN + r")\s*[,)]")
_INTRODUCING_BEFORE = re.compile(
    r"(?:\b[Ww]e\s+(?:introduce|propose|present|call|name|dub|term|coin)|\b(?:called|named|dubbed|termed|coined))"
    r"\s+(?:(?:an?|the|new|novel|simple|method|approach|framework|model|technique|algorithm|architecture)[\s,]+){0,3}$")


def mine(title: str, abstract: str | None = None) -> list[Alias]:
    """The names a paper gives itself or defines, strongest kind once per name."""
    found: dict[str, Alias] = {}

    def add(alias: Alias) -> None:
        held = found.get(alias.alias)
        if held is None or alias.strength > held.strength or (
                alias.strength == held.strength and alias.expansion and not held.expansion):
            found[alias.alias] = alias

    title = title or ""
    if (report := _REPORT_TITLE.match(title)) and (key := _name_alias(report.group(1))):
        add(Alias(key, TITLE_NAME))
    if (named := _TITLE_NAME.match(title)) and (key := _name_alias(named.group(1))):
        letters = acronym_letters(named.group(1).strip())
        rest = title[named.end() - 1:]
        expansion = _leading_expansion(letters, rest) if letters else None
        add(Alias(key, TITLE_NAME, expansion_key(expansion) if expansion else ""))
    for text in (title, abstract or ""):
        for alias in _defined_acronyms(text):
            add(alias)
    for match in (*_INTRODUCED.finditer(abstract or ""), *_OR_NAMED.finditer(abstract or "")):
        if key := _name_alias(match.group(1)):
            add(Alias(key, INTRODUCED_NAME))
    return list(found.values())


def _leading_expansion(letters: str, text: str) -> list[str] | None:
    """The words at the start of a subtitle that spell the title's acronym ("LoRA: Low-Rank
    Adaptation of ..."), skipping a leading article: the longest that fits."""
    pieces = [w for w, _ in _pieces(text)[:len(letters) + 5]]
    while pieces and pieces[0].lower() in ("a", "an", "the"):
        pieces = pieces[1:]
    for end in range(len(pieces), 0, -1):
        if pieces[end - 1].lower() in _FUNCTION_WORDS:
            continue
        candidate = expansion_of(letters, " ".join(pieces[:end]))
        if candidate and len(candidate) == end:
            return candidate
    return None


def _defined_acronyms(text: str) -> list[Alias]:
    found = []
    for match in _DEFINED.finditer(text):
        letters = acronym_letters(match.group(1))
        if letters is None:
            continue
        before = text[max(0, match.start() - 200):match.start()]
        clause = _CLAUSE_END.split(before)[-1]
        expansion = expansion_of(letters, clause)
        if expansion is None:
            continue
        key = alias_key(match.group(1))
        if match.group(1).endswith("s") and letters == key[:-1]:
            key = letters
        # "we propose Vision Transformer (ViT)": the expansion is what the paper introduces.
        lead = clause[:_expansion_start(clause, expansion)]
        kind = INTRODUCED_NAME if _INTRODUCING_BEFORE.search(lead) else DEFINED_ACRONYM
        found.append(Alias(key, kind, expansion_key(expansion)))
    return found


def _expansion_start(clause: str, expansion: list[str]) -> int:
    at = len(clause)
    for word in reversed(expansion):
        at = clause.rfind(word, 0, at)
    return max(at, 0)


def dated(published: str | None, venue: str | None, arxiv_id: str | None = None) -> str | None:
    """When a paper appeared, for ordering a name's papers: its publication date, else the month its
    arXiv id gives ("2410.06940" is "2024-10"), else the year of its venue ("ICLR 2022" is "2022",
    which sorts before any date of 2022)."""
    if published:
        return published
    if arxiv_id and (month := re.match(r"(\d\d)(0[1-9]|1[0-2])\.\d{4,5}(?:v\d+)?$", arxiv_id)):
        return f"20{month.group(1)}-{month.group(2)}"
    year = re.search(r"\b(19|20)\d\d\b", venue or "")
    return year.group(0) if year else None


# ---- asking for a name -------------------------------------------------------------------------

_ASKED = re.compile(r"^(?:the\s+)?(?:original\s+)?(.+?)(?:\s+paper)?$", re.IGNORECASE)


def asked_alias(query: str) -> str | None:
    """The name a query asks for, when it looks like one: at most three words once "the ... paper"
    is taken off ("the CLIP paper", "CLIP paper", "lora")."""
    folded = asked_name_words(query)
    return "".join(folded) if folded else None


def asked_name_words(query: str) -> list[str] | None:
    """The folded words of the name a query asks for (asked_alias joins them)."""
    text = " ".join(query.split())
    if not text or len(text) > 60:
        return None
    match = _ASKED.match(text)
    name = match.group(1) if match else text
    name = re.sub(r"['’]s$", "", name)
    folded = words(name)
    if not 1 <= len(folded) <= MAX_ALIAS_WORDS or len("".join(folded)) < 2:
        return None
    return folded


@dataclass(frozen=True)
class Choice:
    """What a name answers: one paper (`confident`), or a short list to choose from."""
    rowids: tuple[int, ...]
    confident: bool


def _order(named: Named) -> tuple:
    return (-strength_of(named), named.dated is None, named.dated or "", named.paper_rowid)


def _may_have_introduced(named: Named, usual: str | None, first_use: dict[str, str]) -> bool:
    """Whether a paper saying it introduces a name can be where the name people use comes from:
    not when it spells the name otherwise than they do, nor when they used its meaning in an
    earlier year ("we propose ... Direct Preference Optimization (DPO)" a year after DPO; a review
    titled "NeRF: Neural Radiance Field ..."). A paper that does not spell the name out must come
    in the few years before people first used the usual meaning (not "SAM", an exoskeleton of 2008,
    for the SAM of 2023); an undated one only answers a name with no usual meaning."""
    if not named.dated:  # undated: nothing shows it came first
        return usual is None
    # A venue's year ("ICLR 2020") comes up to a year after the preprint others cite.
    year = str(int(named.dated[:4]) - 1) if len(named.dated) == 4 else named.dated[:4]
    if named.expansion:
        if usual is not None and named.expansion != usual:
            return False
        return first_use.get(named.expansion, "9999") >= year
    if usual is None or usual not in first_use:
        return True
    return int(first_use[usual]) - RECENT_YEARS <= int(year) <= int(first_use[usual])


def choose(holders: list[Named]) -> Choice | None:
    """The paper a name means among the papers holding it (the store's first rows, strongest kind
    first, then earliest), or None when the name says nothing the usual ranking would not.

    The papers defining the name in passing tell which meaning people use: the expansion most of
    them give. An introducer (a title's name, "we introduce X") with another expansion is not the
    one they mean. One introducer of the kind ranked first answers; several answer a short list,
    earliest first. With no introducer, different meanings that several papers each use answer
    a short list (the earliest paper of each); one meaning defined in passing answers nothing."""
    if not holders:
        return None
    users: dict[str, int] = {}
    for named in holders:
        if named.expansion:
            users[named.expansion] = max(users.get(named.expansion, 0), named.users)
    meanings = sorted(users.items(), key=lambda item: -item[1])
    usual = meanings[0][0] if meanings and meanings[0][1] >= 3 else None
    first_use: dict[str, str] = {}
    for named in holders:
        if named.expansion and named.dated and named.dated[:4] < first_use.get(named.expansion, "9999"):
            first_use[named.expansion] = named.dated[:4]
    introducers = sorted((n for n in holders if strength_of(n) >= STRENGTH[INTRODUCED_NAME]
                          and _may_have_introduced(n, usual, first_use)), key=_order)
    if introducers:
        first = [n for n in introducers if strength_of(n) == strength_of(introducers[0])]
        if len(first) > SHORT_LIST:  # a name many papers give themselves ("PRISM") is no one's
            return None
        if len(first) == 1:
            return Choice((first[0].paper_rowid,), confident=True)
        return Choice(tuple(n.paper_rowid for n in first[:SHORT_LIST]), confident=False)
    total = max(n.total for n in holders)
    distinct = [expansion for expansion, count in meanings if count >= 2]
    if len(distinct) >= 2 and total <= MANY_USERS and users[distinct[1]] * 3 >= users[distinct[0]]:
        earliest: dict[str, Named] = {}
        for named in sorted(holders, key=_order):
            if named.expansion in distinct:
                earliest.setdefault(named.expansion, named)
        return Choice(tuple(n.paper_rowid for n in earliest.values())[:SHORT_LIST], confident=False)
    return None


# ---- which of several papers people mean by a name ----------------------------------------------

ECHO_SAMPLE = 60  # the newest papers using a name, read to see what they talk about
ECHO_CLEAR = 3.0  # a paper this many times better echoed than the next is the one people mean
ECHO_USERS = 10  # ... when at least this many papers use the name


def by_echo(choice: Choice, titles: dict[int, str], users: list[str], idf: Callable[[str], float],
            name: list[str]) -> Choice:
    """A short list ordered by how much the papers using the name (`users`: their titles and
    abstracts) talk about what each paper's title says: people saying "Mamba" write about
    selective state spaces, not about video object detection. The best echoed answers alone when
    it is clearly ahead and the name has enough users to tell."""
    if len(choice.rowids) < 2 or not users:
        return choice
    said: dict[str, int] = {}
    for text in users:
        for word in _topic(text):
            said[word] = said.get(word, 0) + 1
    left_out = set(_topic(" ".join(name)))
    echo = {}
    for rowid in choice.rowids:
        topic = [w for w in _topic(titles.get(rowid, "")) if w not in left_out]
        weight = sum(idf(w) for w in topic)
        echo[rowid] = sum(idf(w) * said.get(w, 0) for w in topic) / (weight * len(users)) if weight else 0.0
    order = sorted(choice.rowids, key=lambda r: -echo[r])  # stable: ties keep the earliest first
    best, second = echo[order[0]], echo[order[1]]
    clear = len(users) >= ECHO_USERS and best > 0 and best >= ECHO_CLEAR * second
    return Choice(tuple(order), confident=clear)


def _topic(text: str) -> list[str]:
    """A text's content words in the one canonical form, each once."""
    return list(dict.fromkeys(canonical(w) for w in content_tokens(words(text)) if not w.isdigit()))
