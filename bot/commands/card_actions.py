"""The buttons every paper card carries (Save, BibTeX, Similar), declared once: what each is called
and which command it runs. An adapter draws them its own way (Discord components, Slack block
actions) and turns a click back into an invocation with `command_for`."""
from __future__ import annotations

from dataclasses import dataclass

PREFIX = "pb"  # in a button's id, so a click can be told apart from other apps' components
MAX_VALUE = 100  # Discord's limit on a component's custom_id; Slack allows more


@dataclass(frozen=True)
class CardAction:
    name: str  # in the button's id: "save"
    label: str
    command: str  # the command a click runs, with `words` and the paper's key as its arguments
    words: str


CARD_ACTIONS = (
    CardAction("save", "Save", "saved", "add"),
    CardAction("bibtex", "BibTeX", "saved", "bibtex"),
    CardAction("similar", "Similar", "paper", "similar"),
)


def action_value(action: CardAction, paper_key: str) -> str | None:
    """The id a button carries: "pb:save:2309.12288"; None when the key is too long to carry."""
    value = f"{PREFIX}:{action.name}:{paper_key}"
    return value if len(value) <= MAX_VALUE else None


def card_buttons(paper_key: str) -> list[tuple[str, str]]:
    """(label, value) of every card action for one paper; none when its key cannot be carried."""
    buttons = [(action.label, action_value(action, paper_key)) for action in CARD_ACTIONS]
    return [(label, value) for label, value in buttons if value is not None]


def command_for(value: str) -> tuple[str, str] | None:
    """(command, arguments) a clicked button's id asks for; None for an id that is not ours."""
    prefix, _, rest = (value or "").partition(":")
    name, _, key = rest.partition(":")
    if prefix != PREFIX or not key:
        return None
    action = next((a for a in CARD_ACTIONS if a.name == name), None)
    return (action.command, f"{action.words} {key}") if action else None
