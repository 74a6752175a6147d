"""The shape of the pure packages: who imports feedparser, what they may import, no cycles."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
LIBRARY = ROOT / "commentluv"
PURE_PACKAGES = ["_feeds", "_discovery"]
NETWORK_MODULES = {"requests", "socket", "urllib3", "http"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[str, list[str]]]:
    """(absolute module, names) of every import in a source file, lazy ones included."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path.parent)
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            found.append((target, [alias.name for alias in node.names]))
    return found


def pure_sources() -> list[Path]:
    return sorted(path for package in PURE_PACKAGES for path in (LIBRARY / package).glob("*.py"))


def test_only_the_fallback_module_imports_feedparser() -> None:
    importers = {
        str(path.relative_to(ROOT))
        for path in LIBRARY.rglob("*.py")
        for target, _ in imports(path)
        if target == "feedparser" or target.startswith("feedparser.")
    }
    assert importers == {"commentluv/_feeds/feedparser.py"}


def test_the_feedparser_internals_used_still_exist() -> None:
    from feedparser import datetimes

    assert callable(datetimes._parse_date)
    parsed = datetimes._parse_date("Sat, 01 Jun 2024 10:00:00 +0200")
    assert isinstance(parsed, time.struct_time)
    assert tuple(parsed)[:6] == (2024, 6, 1, 8, 0, 0)


@pytest.mark.parametrize("path", pure_sources(), ids=lambda path: path.name)
def test_pure_modules_import_no_network_code(path: Path) -> None:
    for target, _ in imports(path):
        assert target.split(".")[0] not in NETWORK_MODULES, target
        assert target not in ("commentluv.http", "commentluv.client", "commentluv.guard")


@pytest.mark.parametrize("path", pure_sources(), ids=lambda path: path.name)
def test_no_underscored_name_is_imported_from_another_module(path: Path) -> None:
    for target, names in imports(path):
        if target.startswith("commentluv"):
            assert not [name for name in names if name.startswith("_")], target


@pytest.mark.parametrize("package", PURE_PACKAGES)
def test_the_modules_of_a_package_import_each_other_without_cycles(package: str) -> None:
    prefix = f"commentluv.{package}"
    graph: dict[str, set[str]] = {}
    for path in (LIBRARY / package).glob("*.py"):
        if path.name != "__init__.py":
            # "from . import x" names module x; "from .x import y" names module x.
            targets = {
                candidate
                for target, names in imports(path)
                for candidate in [target, *(f"{target}.{name}" for name in names)]
            }
            graph[module_name(path)] = {t for t in targets if t.startswith(prefix + ".")}
    visiting: list[str] = []
    done: set[str] = set()

    def visit(module: str) -> None:
        assert module not in visiting, " → ".join([*visiting, module])
        if module in done or module not in graph:
            return
        visiting.append(module)
        for imported in graph[module]:
            visit(imported)
        visiting.pop()
        done.add(module)

    for module in graph:
        visit(module)


@pytest.mark.parametrize("path", pure_sources(), ids=lambda path: path.name)
def test_modules_stay_small(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 450


def imported_after(statement: str, modules: set[str]) -> list[str]:
    """Which of ``modules`` a fresh interpreter has imported after ``statement``."""
    code = f"import sys; {statement}; print(sorted({modules!r} & set(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    return ast.literal_eval(result.stdout.strip())


def test_importing_the_feeds_package_imports_no_parser_or_http_stack() -> None:
    heavy = {"lxml", "feedparser", "bs4", "requests"}
    assert imported_after("import commentluv._feeds", heavy) == []


def test_importing_commentluv_imports_neither_pure_package() -> None:
    packages = {"commentluv._feeds", "commentluv._discovery"}
    assert imported_after("import commentluv", packages) == []


def test_importing_discovery_imports_no_feed_parser_or_http_stack() -> None:
    heavy = {"feedparser", "requests"}  # bs4 (and with it lxml, its optional parser) is fine
    assert imported_after("import commentluv._discovery", heavy) == []
