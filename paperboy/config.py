"""Where paperboy keeps its database, and which settings come from the environment."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

import platformdirs

SECRET_NAMES = ("DISCORD_TOKEN", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET")


def database_path(cli_value: str | None, env: Mapping[str, str] = os.environ) -> Path:
    """--db, else PAPERBOY_DB, else a file in the user's data directory."""
    if cli_value:
        return Path(cli_value).expanduser()
    if env.get("PAPERBOY_DB"):
        return Path(env["PAPERBOY_DB"]).expanduser()
    return Path(platformdirs.user_data_dir("paperboy")) / "paperboy.db"


def redact(text: str, env: Mapping[str, str] = os.environ) -> str:
    """Replaces any secret's value in text, for log lines that quote external errors."""
    for name in SECRET_NAMES:
        value = env.get(name)
        if value and len(value) >= 6:
            text = text.replace(value, f"<{name}>")
    return text
