"""`/saved`: a reader's own list of papers, newest first, and its BibTeX.

The list belongs to the user on one platform: it is kept under (platform, user), so a Discord
user finds the same list in every server and in DMs, and nobody else can read or change it (every
answer is private to the caller)."""
from __future__ import annotations

from paperboy.bot.clock import iso
from paperboy.bot.commands.channel_settings import quoted
from paperboy.bot.commands.invocation import Invocation
from paperboy.bot.commands.resolve import paper_named
from paperboy.bot.commands.spec import Context
from paperboy.bot.models import Paper
from paperboy.bot.reading.bibtex import bibtex
from paperboy.bot.replies import Document, Error, Notice, PaperList, Reply, Scored

MAX_SAVED = 1000  # papers one reader may keep
SHOWN = 25  # papers one /saved answer lists
SUBCOMMANDS = ("list", "add", "remove", "clear", "bibtex")
_CONFIRM = {"confirm", "yes", "y", "true", "1"}


def _owner(inv: Invocation) -> tuple[str, str, str]:
    return inv.place.platform, "", inv.user


def saved_words(inv: Invocation) -> tuple[str, str]:
    """(subcommand, the rest): `/saved` alone lists; Discord names the subcommand, text platforms type it."""
    head, _, tail = inv.args.strip().partition(" ")
    sub = head.lower() if head.lower() in SUBCOMMANDS else ""
    rest = tail.strip() if sub else inv.args.strip()
    named = " ".join(str(v) for k, v in inv.options.items() if k in ("paper", "number", "confirm") and v)
    return sub or ("list" if not rest else "?"), (rest or named).strip()


async def saved(ctx: Context, inv: Invocation) -> Reply:
    sub, rest = saved_words(inv)
    handler = {"list": saved_list, "add": saved_add, "remove": saved_remove, "clear": saved_clear,
               "bibtex": saved_bibtex}.get(sub)
    if handler is None:
        say = inv.syntax.say
        return Error(f"Use {say('saved')} to see your list, {say('saved add 2309.12288')}, "
                     f"{say('saved remove 2')}, {say('saved bibtex')} or {say('saved clear')}.")
    return await handler(ctx, inv, rest)


async def _papers(ctx: Context, inv: Invocation) -> list[Paper]:
    rows = await ctx.reading.run(ctx.reading.saved_papers, *_owner(inv))
    return [paper for paper, _ in rows]


async def saved_list(ctx: Context, inv: Invocation, rest: str = "") -> Reply:
    say = inv.syntax.say
    papers = await _papers(ctx, inv)
    if not papers:
        return Notice(f"Your reading list is empty. Save a paper with the Save button on its card, or "
                      f"{say('saved add 2309.12288')}.", ephemeral=True)
    more = f" The {len(papers) - SHOWN} older ones are in {say('saved bibtex')}." if len(papers) > SHOWN else ""
    return PaperList(title=f"Your reading list ({len(papers)} paper{'s' if len(papers) != 1 else ''}), newest first",
                     items=tuple(Scored(p, 0.0) for p in papers[:SHOWN]),
                     note=f"{say('saved remove N')} takes paper N off; {say('saved bibtex')} exports them.{more}")


async def _resolve(ctx: Context, text: str) -> Paper | Reply:
    """The paper a button's key, an arXiv id or link, or a title means."""
    if not text:
        return Error("Which paper? Give its arXiv id or link, or its title.")
    match = await paper_named(ctx, text)
    if isinstance(match, Paper):
        return match
    if match.candidates:
        return PaperList(title=f"Which one did you mean by {quoted(text)}? Save it by its arXiv id:",
                         items=match.candidates)
    return Error(f"I couldn't find a paper for {quoted(text)}. Try its arXiv id or link.")


async def saved_add(ctx: Context, inv: Invocation, rest: str) -> Reply:
    found = await _resolve(ctx, rest)
    if not isinstance(found, Paper):
        return found
    owner = _owner(inv)
    count = len(await ctx.reading.run(ctx.reading.saved_papers, *owner))
    if count >= MAX_SAVED:
        return Error(f"Your reading list holds {count} papers, the most it can. Remove some with "
                     f"{inv.syntax.say('saved remove N')} first.")
    added = await ctx.reading.run(ctx.reading.save_paper, *owner, found.key, iso(ctx.clock.now()))
    title = quoted(found.shown_title, 90)
    if not added:
        return Notice(f"{title} is already on your reading list.", ephemeral=True)
    return Notice(f"Saved {title} to your reading list ({count + 1} paper{'s' if count else ''}). "
                  f"{inv.syntax.say('saved')} shows it.", ephemeral=True)


async def saved_remove(ctx: Context, inv: Invocation, rest: str) -> Reply:
    say = inv.syntax.say
    papers = await _papers(ctx, inv)
    wanted = rest.strip().lstrip("#")
    if wanted.isdigit():
        number = int(wanted)
        if not 1 <= number <= len(papers):
            return Error(f"Your list has no paper {number}; {say('saved')} shows the numbers "
                         f"(1 to {len(papers)})." if papers else "Your reading list is empty.")
        paper = papers[number - 1]
    else:
        paper = next((p for p in papers if wanted and wanted in (p.key, p.arxiv_id)), None)
        if paper is None:
            return Error(f"Which one? {say('saved remove N')}, with the number {say('saved')} shows.")
    await ctx.reading.run(ctx.reading.unsave_papers, *_owner(inv), [paper.key])
    return Notice(f"Removed {quoted(paper.shown_title, 90)} from your reading list.", ephemeral=True)


async def saved_clear(ctx: Context, inv: Invocation, rest: str) -> Reply:
    say = inv.syntax.say
    papers = await _papers(ctx, inv)
    if not papers:
        return Notice("Your reading list is already empty.", ephemeral=True)
    if rest.strip().lower() not in _CONFIRM:
        return Notice(f"This takes all {len(papers)} papers off your reading list. To go ahead: "
                      f"{say('saved clear confirm')}.", ephemeral=True)
    removed = await ctx.reading.run(ctx.reading.unsave_papers, *_owner(inv), None)
    return Notice(f"Cleared your reading list ({removed} paper{'s' if removed != 1 else ''}).", ephemeral=True)


async def saved_bibtex(ctx: Context, inv: Invocation, rest: str) -> Reply:
    if rest:  # one paper: the BibTeX button on a card, or /saved bibtex <id>
        found = await _resolve(ctx, rest)
        if not isinstance(found, Paper):
            return found
        name = (found.arxiv_id or "paper").replace("/", "-")
        return Document(title=f"BibTeX for {quoted(found.shown_title, 90)}", text=bibtex([found]),
                        filename=f"{name}.bib", mime="application/x-bibtex")
    papers = await _papers(ctx, inv)
    if not papers:
        return Notice("Your reading list is empty: nothing to export yet.", ephemeral=True)
    count = f"{len(papers)} saved paper{'s' if len(papers) != 1 else ''}"
    return Document(title=f"BibTeX for your {count}", text=bibtex(papers), filename="paperboy-reading-list.bib",
                    mime="application/x-bibtex")
