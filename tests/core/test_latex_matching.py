"""arXiv keeps LaTeX in titles and abstracts; people type what they read. Either form finds the paper."""
from __future__ import annotations

import pytest

from paperboy.bot.clock import iso
from paperboy.bot.models import Paper
from paperboy.bot.replies import Card
from paperboy.bot.subscriptions.query import parse

COULOMB = Paper(key="1510.03908", arxiv_id="1510.03908",
                title=r"Questions on provisional Coulomb branches of $3$-dimensional $\mathcal N=4$ gauge theories",
                abstract=r"For $\Gamma$ a quiver, the Braverman--Finkelberg--Nakajima Coulomb branch of a "
                         r"Kac--Moody type; Schr\"odinger operators appear.",
                authors=("Hiraku Nakajima",), categories=("math-ph", "math.RT"))


@pytest.fixture
def with_latex(store, clock):
    store.upsert_papers([COULOMB], iso(clock.now()))
    return store


@pytest.mark.parametrize("typed", [
    "provisional Coulomb branches of 3-dimensional N=4 gauge theories",  # as a reader types it
    "Questions on provisional Coulomb branches of 3-dimensional 𝒩=4 gauge theories",  # pasted from a card
    r"Questions on provisional Coulomb branches of $3$-dimensional $\mathcal N=4$ gauge theories",  # the source
    "Questions on provisonal Coulomb branches of 3-dimensional N=4 gauge theories",  # with a typo
])
async def test_the_title_is_found_in_either_form(testbot, with_latex, typed):
    reply = await testbot.exec_command(f"/paper {typed}")
    assert isinstance(reply, Card) and reply.paper.arxiv_id == "1510.03908", reply


@pytest.mark.parametrize("query", ["Gamma quiver", "Kac-Moody", '"Braverman-Finkelberg-Nakajima"', "schrodinger",
                                   "Schrödinger"])
def test_subscriptions_match_the_abstracts_latex_in_either_form(query):
    assert parse(query).matches(COULOMB)
