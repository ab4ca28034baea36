"""Settings read from the environment, one reader per kind: yes/no, seconds, whole numbers. A value
paperboy cannot use is refused with a SettingError that names the variable, never guessed at."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

T = TypeVar("T")

YES = frozenset({"1", "true", "yes", "on", "y"})
NO = frozenset({"0", "false", "no", "off", "n"})
YES_NO_WORDS = "1/0, true/false, yes/no or on/off"


class SettingError(ValueError):
    """An environment variable set to something paperboy cannot use; the message names it."""


def yes_or_no(text: str) -> bool | None:
    """True for a yes word, False for a no word (any case), None for anything else."""
    word = text.strip().lower()
    return True if word in YES else False if word in NO else None


def flag(env: Mapping[str, str], name: str) -> bool | None:
    """A yes/no setting: None when unset or empty, else True or False; anything else is refused."""
    text = (env.get(name) or "").strip()
    if not text:
        return None
    value = yes_or_no(text)
    if value is None:
        raise SettingError(f"{name} must be {YES_NO_WORDS}, not {text[:20]!r}")
    return value


def seconds(env: Mapping[str, str], name: str, default: float, *, minimum: float) -> float:
    """A duration setting in seconds: `default` when unset, else a number no smaller than `minimum`."""
    value, text = _read(env, name, float, "a number of seconds")
    if value is None:
        return default
    if not value >= minimum:  # also refuses nan
        raise SettingError(f"{name} must be a number of seconds, {minimum:g} or more, not {text[:20]!r}")
    return value


def whole_number(env: Mapping[str, str], name: str, default: int, *, minimum: int, maximum: int) -> int:
    """A count setting: `default` when unset, else a whole number from `minimum` to `maximum`."""
    value, text = _read(env, name, int, "a whole number")
    if value is None:
        return default
    if not minimum <= value <= maximum:
        raise SettingError(f"{name} must be from {minimum} to {maximum}, not {text[:20]!r}")
    return value


def _read(env: Mapping[str, str], name: str, convert: Callable[[str], T], kind: str) -> tuple[T | None, str]:
    """A setting's value converted, and its text; (None, "") when unset."""
    text = (env.get(name) or "").strip()
    if not text:
        return None, text
    try:
        return convert(text), text
    except ValueError:
        raise SettingError(f"{name} must be {kind}, not {text[:20]!r}") from None
