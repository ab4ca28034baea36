"""`paperboy run` from a chosen source tree: the bot side of bench/load.py.

    python bench/load_bot.py TREE [paperboy arguments...]

TREE is a checkout of paperboy (this one, or another commit unpacked elsewhere, as the baseline);
its `paperboy`, `bot`, `storage` and `adapters` folders are imported instead of the installed ones.
The mapping is made at import time, so worker processes started by the bot ("spawn" re-imports
this file) see the same tree.
"""
from __future__ import annotations

import importlib.util
import sys
from importlib.machinery import PathFinder

FOLDERS = {"paperboy": "paperboy", "paperboy.bot": "bot", "paperboy.storage": "storage",
           "paperboy.adapters": "adapters"}


class TreeFinder:
    """Finds paperboy's four top-level packages in one source tree; the rest follows their __path__."""

    def __init__(self, root: str):
        self.root = root

    def find_spec(self, fullname: str, path=None, target=None):
        folder = FOLDERS.get(fullname)
        if folder is not None:
            init = f"{self.root}/{folder}/__init__.py"
            return importlib.util.spec_from_file_location(fullname, init,
                                                          submodule_search_locations=[f"{self.root}/{folder}"])
        parent, _, _ = fullname.rpartition(".")
        if parent in FOLDERS:
            return PathFinder.find_spec(fullname, [f"{self.root}/{FOLDERS[parent]}"])
        return None


def use_tree(root: str) -> None:
    if not any(isinstance(f, TreeFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, TreeFinder(root))


# A spawned worker process imports this file as __mp_main__ with the parent's argv.
if len(sys.argv) > 1:
    use_tree(sys.argv[1])

if __name__ == "__main__":
    from paperboy.cli import main

    sys.exit(main(sys.argv[2:]))
