"""Which paper a command's argument names: a card button's key, an arXiv id or link, or a title."""
from __future__ import annotations

from paperboy.bot.commands.spec import Context
from paperboy.bot.models import Paper
from paperboy.bot.search.match import Match


async def paper_named(ctx: Context, text: str) -> Paper | Match:
    """The paper, when the text names one for sure; otherwise the lookup's Match, for the command
    to word its own answer (a "did you mean" list, not found, withdrawn)."""
    stored = await ctx.papers.run(ctx.papers.get_paper, text)  # a key, as a card's button carries it
    if stored is not None and not stored.withdrawn:
        return stored
    match = await ctx.matcher.lookup(text, limit=5)
    if match.best is not None and match.confident:
        return match.best.paper
    return match
