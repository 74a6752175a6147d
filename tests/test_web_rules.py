"""House rules for the comment-form code, read from its source: the service reaches the
network only through the client, and no module borrows another's private names."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "commentluv"
WEB = sorted((PACKAGE / "web").glob("*.py"))
MODULES = [*WEB, PACKAGE / "_choice.py"]
NETWORK = {"requests", "urllib3", "socket"}


def imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) for every import in ``path``."""
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append(("." * node.level + (node.module or ""), [a.name for a in node.names]))
    return found


@pytest.mark.parametrize("path", WEB, ids=lambda path: path.name)
def test_the_service_never_imports_the_network_stack(path):
    modules = {module.split(".")[0] for module, _ in imports(path)}
    assert not modules & NETWORK


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_no_private_names_from_other_modules(path):
    borrowed = [
        f"{module}.{name}"
        for module, names in imports(path)
        for name in names
        if name.startswith("_") and not name.startswith("__")
    ]
    assert borrowed == []


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_modules_stay_small(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 450
