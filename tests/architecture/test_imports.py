"""The package map holds: dependencies point one way and no module imports itself round a cycle.

Every import in the project's source is read (at module level, inside functions, under any
condition), resolved to the project module it names, and checked against the layers below.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# Folder -> the installed package it is (setup.py).
FOLDERS = {"paperboy": "paperboy", "bot": "paperboy.bot", "storage": "paperboy.storage", "adapters": "paperboy.adapters"}
SHARED = {f"paperboy.bot.{name}" for name in (
    "models", "text", "spelling", "replies", "serialize", "clock", "ids", "retry_after", "syntax", "store", "adapter",
    "settings", "kinds",
    "categories")}
# What each part may import besides itself and the shared models at the top of bot/.
ALLOWED = {
    "shared": set(),
    "storage": set(),  # and of the shared modules only the models and text: checked on its own below
    "sources": set(),
    "search": set(),
    "subscriptions": set(),
    "reading": set(),
    "trends": {"subscriptions"},
    "delivery": {"subscriptions", "sources"},
    "commands": {"search", "subscriptions", "delivery", "sources", "reading", "trends"},
    "adapters": {"commands"},
    "app": {"storage", "sources", "search", "subscriptions", "delivery", "commands", "adapters", "reading", "trends"},
}


def part(module: str) -> str:
    if module in SHARED or module == "paperboy.bot":
        return "shared"
    for name in ("sources", "search", "subscriptions", "delivery", "commands", "reading", "trends"):
        if module == f"paperboy.bot.{name}" or module.startswith(f"paperboy.bot.{name}."):
            return name
    if module.startswith("paperboy.storage"):
        return "storage"
    if module.startswith("paperboy.adapters"):
        return "adapters"
    if module.startswith("paperboy.bot."):
        raise AssertionError(f"{module} is in bot/ but in no subsystem package and not a shared module")
    return "app"


def project_modules() -> dict[str, Path]:
    found = {}
    for folder, package in FOLDERS.items():
        for path in sorted((REPO / folder).rglob("*.py")):
            parts = list(path.relative_to(REPO / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join([package, *parts])] = path
    return found


MODULES = project_modules()


def imports_of(module: str) -> set[str]:
    """The project modules `module` imports, each by its full name."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    named: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            named.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:  # `from package import module` names the module
                named.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    stray = {n for n in named if n.split(".")[0] in ("bot", "storage", "adapters")}
    assert not stray, f"{module} imports {sorted(stray)} outside the paperboy namespace"
    return {n for n in named if n in MODULES and n != module}


GRAPH = {module: imports_of(module) for module in MODULES}


def test_every_folder_is_read():
    assert {"paperboy.cli", "paperboy.bot.models", "paperboy.storage.sqlite", "paperboy.adapters.slack.adapter",
            "paperboy.bot.commands.dispatch", "paperboy.bot.search.matcher"} <= set(MODULES)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_follow_the_direction_of_the_layers(module):
    mine = part(module)
    for imported in sorted(GRAPH[module]):
        theirs = part(imported)
        if theirs in (mine, "shared") and not (mine == "storage" and theirs == "shared"):
            continue
        # The models a store keeps, and the words its full-text queries are made of: storage runs
        # no domain code of a subsystem (names, for one, are mined by the core and handed over).
        if mine == "storage" and imported in ("paperboy.bot.models", "paperboy.bot.text"):
            continue
        assert theirs in ALLOWED[mine], f"{module} ({mine}) must not import {imported} ({theirs})"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if part(m) == "adapters"))
def test_an_adapter_imports_no_other_adapter(module):
    own = ".".join(module.split(".")[:3])
    for imported in GRAPH[module]:
        if part(imported) == "adapters":
            assert imported == "paperboy.adapters" or imported.startswith(own), f"{module} imports {imported}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if part(m) == "storage"))
def test_storage_imports_no_subsystem_of_the_core(module):
    for imported in GRAPH[module]:
        assert not imported.startswith("paperboy.bot.") or imported in ("paperboy.bot.models", "paperboy.bot.text"), \
            f"{module} imports {imported}"


def test_no_import_cycles():
    """Depth-first search over every import edge: a back edge is a cycle."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for imported in sorted(GRAPH[module]):
            if state.get(imported) == 1:
                cycle = path[path.index(imported):] + [imported]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if imported not in state:
                visit(imported)
        path.pop()
        state[module] = 2

    for module in sorted(MODULES):
        if module not in state:
            visit(module)


def test_no_import_is_hidden_from_the_checks():
    for module, path in MODULES.items():
        assert "TYPE_CHECKING" not in path.read_text(), f"{module} imports under TYPE_CHECKING"


def test_every_package_says_what_it_owns():
    for module, path in MODULES.items():
        if path.name == "__init__.py":
            assert ast.get_docstring(ast.parse(path.read_text())), f"{module} has no docstring"


def test_the_checks_see_a_wrong_import(tmp_path):
    """The walker itself: an import against the direction is found."""
    bad = tmp_path / "bad.py"
    bad.write_text("from paperboy.storage.sqlite import SQLiteStore\n")
    MODULES["paperboy.bot.search.bad"] = bad
    try:
        imported = imports_of("paperboy.bot.search.bad")
        assert imported == {"paperboy.storage.sqlite"} and "storage" not in ALLOWED[part("paperboy.bot.search.bad")]
    finally:
        del MODULES["paperboy.bot.search.bad"]
