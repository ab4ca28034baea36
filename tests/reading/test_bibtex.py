"""BibTeX in arXiv's style, checked by parsing it back with bibtexparser."""
from __future__ import annotations

import bibtexparser
import pytest
from bibtexparser.bparser import BibTexParser

from paperboy.bot.models import Paper
from paperboy.bot.reading.bibtex import bibtex, latex

REVERSAL = Paper(key="2309.12288", arxiv_id="2309.12288",
                 title='The Reversal Curse: LLMs trained on "A is B" fail to learn "B is A"',
                 authors=("Lukas Berglund", "Meg Tong", "Owain Evans"), published="2023-09-21",
                 categories=("cs.CL", "cs.AI"))


def parsed(text: str) -> list[dict]:
    parser = BibTexParser(common_strings=False)
    parser.ignore_nonstandard_types = False
    return bibtexparser.loads(text, parser=parser).entries


def test_an_arxiv_paper_comes_out_as_arxiv_writes_it():
    [entry] = parsed(bibtex([REVERSAL]))
    assert entry == {
        "ENTRYTYPE": "misc", "ID": "berglund2023reversal",
        "title": 'The Reversal Curse: LLMs trained on "A is B" fail to learn "B is A"',
        "author": "Lukas Berglund and Meg Tong and Owain Evans", "year": "2023", "eprint": "2309.12288",
        "archiveprefix": "arXiv", "primaryclass": "cs.CL", "url": "https://arxiv.org/abs/2309.12288",
    }


def test_keys_are_unique_within_one_export():
    sibling = REVERSAL.with_changes(key="2309.99999", arxiv_id="2309.99999", title="Reversal, again")
    entries = parsed(bibtex([REVERSAL, sibling, REVERSAL.with_changes(key="2309.99998", arxiv_id="2309.99998")]))
    assert [e["ID"] for e in entries] == ["berglund2023reversal", "berglund2023reversala", "berglund2023reversalb"]


def test_a_published_version_and_a_paper_without_an_arxiv_id_say_where_they_are():
    published = REVERSAL.with_changes(doi="10.1000/x_{1}", journal_ref="ICLR 2024 & more")
    workshop = Paper(key="p:0123456789abcdef", title="Deep Residual Learning for Image Recognition",
                     venue="CVPR 2016", authors=("Kaiming He",), published="2016-06-27")
    first, second = parsed(bibtex([published, workshop]))
    assert first["doi"] == "10.1000/x_%7B1%7D" and first["note"] == r"ICLR 2024 \& more"
    assert second["ID"] == "he2016deep" and second["howpublished"] == "CVPR 2016" and "eprint" not in second


@pytest.mark.parametrize("title, expected", [
    ("100% of _x_ & #1 ~ ^ {brace", r"100\% of \_x\_ \& \#1 \textasciitilde{} \textasciicircum{} \textbraceleft{}brace"),
    (r"$\mathcal{N}=4$ Super Yang-Mills & Schr\"{o}dinger", r"$\mathcal{N}=4$ Super Yang-Mills \& Schr\"{o}dinger"),
    ("Costs $5 and 10%", r"Costs \$5 and 10\%"),
    ("@everyone <!channel> **Bold** [link](http://evil.example)", "@everyone <!channel> **Bold** [link](http://evil.example)"),
    ("unbalanced \\textbf{bold", r"unbalanced \textbackslash{}textbf\textbraceleft{}bold"),
])
def test_special_characters_are_escaped_and_latex_is_kept(title, expected):
    assert latex(title) == expected
    [entry] = parsed(bibtex([REVERSAL.with_changes(title=title)]))
    assert entry["title"] == expected  # parses back whole: braces balanced, nothing cut off


def test_a_name_holding_the_word_and_stays_one_author():
    [entry] = parsed(bibtex([REVERSAL.with_changes(authors=("Lukas Berglund", "Johnson and Johnson Labs"))]))
    assert entry["author"] == "Lukas Berglund and {Johnson and Johnson Labs}"
