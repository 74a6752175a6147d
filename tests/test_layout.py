"""The pure packages' own rules: only the fallback touches feedparser (and what of it), and
importing them stays light. The package-wide rules (rooms, cycles, sizes) are in
test_public_api.py."""

from __future__ import annotations

import ast
import time
from pathlib import Path

from tests.support.imports import imported_after

ROOT = Path(__file__).parents[1]
LIBRARY = ROOT / "commentluv"


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


def test_importing_the_feeds_package_imports_no_parser_or_http_stack() -> None:
    heavy = {"lxml", "feedparser", "bs4", "requests", "ssl", "commentluv._net.http"}
    assert imported_after("import commentluv._feeds", heavy) == []


def test_importing_commentluv_imports_neither_pure_package() -> None:
    packages = {"commentluv._feeds", "commentluv._discovery"}
    assert imported_after("import commentluv", packages) == []


def test_importing_discovery_imports_no_feed_parser_or_http_stack() -> None:
    # bs4 (and with it lxml, its optional parser) is fine
    heavy = {"feedparser", "requests", "ssl", "commentluv._net.http"}
    assert imported_after("import commentluv._discovery", heavy) == []
