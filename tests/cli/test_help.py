"""Every command's --help says in a sentence what it does, beyond its usage line."""
from __future__ import annotations

import pytest

from paperboy import cli

COMMANDS = [["run"], ["chat"], ["ask"], ["ingest"], ["ingest", "hf"], ["ingest", "arxiv"], ["ingest", "oai"],
            ["import"], ["digest"], ["stats"], ["health"], ["embed"], ["model"], ["model", "fetch"], ["migrate-db"]]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_says_what_the_command_does(command, capsys):
    with pytest.raises(SystemExit) as done:
        cli.main([*command, "--help"])
    assert done.value.code == 0
    usage, _, rest = capsys.readouterr().out.partition("\n\n")
    assert usage.startswith(f"usage: paperboy {' '.join(command)}")
    sentence = rest.split("\n\n")[0]
    assert sentence[:1].isupper() and sentence.rstrip().endswith(".") and len(sentence.split()) >= 6, sentence


def test_the_command_list_names_every_command(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    shown = capsys.readouterr().out
    assert all(f"    {command[0]}" in shown for command in COMMANDS)
