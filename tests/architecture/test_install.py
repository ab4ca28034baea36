"""The distribution installs one top-level name, paperboy, so it cannot collide with another's
`bot`, `storage` or `adapters`."""
from __future__ import annotations

import subprocess
import sys


def test_only_the_paperboy_namespace_is_installed(tmp_path):
    probe = ("import importlib.util as u; "
             "print([n for n in ('bot', 'storage', 'adapters') if u.find_spec(n)]); "
             "print([n for n in ('paperboy.bot.models', 'paperboy.storage.sqlite', 'paperboy.adapters.slack') "
             "if u.find_spec(n) is None])")
    # Run from an empty folder: only what is installed can be found, not the checkout's folders.
    found = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert found.stdout.split("\n")[:2] == ["[]", "[]"], found.stdout + found.stderr
