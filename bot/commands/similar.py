"""/paper similar <id, link, key or title>: the papers closest in content to one paper (also what a
card's "Similar" button asks, with the paper's key)."""
from __future__ import annotations

from paperboy.bot.commands.channel_settings import quoted
from paperboy.bot.commands.invocation import Invocation
from paperboy.bot.commands.resolve import paper_named
from paperboy.bot.commands.spec import Context
from paperboy.bot.models import Paper
from paperboy.bot.replies import Error, Notice, PaperList, Reply
from paperboy.bot.search.match import Match
from paperboy.bot.search.similar import similar_papers

HOW = "Closest by distinctive terms, shared authors and categories."


async def similar(ctx: Context, inv: Invocation, text: str) -> Reply:
    query = (text or "").strip()
    say = inv.syntax.say
    if not query:
        return Error(f"Tell me which paper: {say('paper similar 2309.12288')}, or a title such as "
                     f"{say('paper similar reversal curse')}.")
    named = await paper_named(ctx, query)
    if not isinstance(named, Paper):
        return _unresolved(query, named)
    paper = named
    found = await ctx.papers.run(similar_papers, ctx.papers, paper, 5)
    title = f"Papers like “{paper.shown_title}”"
    if not found:
        return Notice(f"I found no papers like “{paper.shown_title}” in the library: its words are too rare or "
                      "too common to go by.", ephemeral=True, no_match=True)
    return PaperList(title=title, items=tuple(found), note=HOW)


def _unresolved(query: str, match: Match) -> Reply:
    """The answer /paper would give when the query names no paper for sure."""
    if match.candidates:
        return PaperList(title=f"No confident match for {quoted(query)}. Did you mean:", items=match.candidates,
                         note="Add a few more words of the title, or use the arXiv id.")
    if match.withdrawn:
        return Notice(f"arXiv:{match.paper_id} has been withdrawn from arXiv, so paperboy no longer offers it.",
                      ephemeral=True, no_match=True)
    if match.via == "id":
        return Error(f"I couldn't find arXiv:{match.paper_id} in the library or at the paper sources. "
                     "Check the id, or try the title.")
    return Notice(f"No paper found for {quoted(query)}. Try other words from the title, or an arXiv id.",
                  ephemeral=True, no_match=True)
