"""The public surface, pinned: what ``import commentluv`` offers, how options and errors are
shaped, and the package's import structure (rooms, no cycles, no borrowed private names)."""

from __future__ import annotations

import ast
import io
import logging
import pydoc
from pathlib import Path

import pytest

import commentluv
from commentluv import (
    AddressPolicy,
    CommentLuv,
    Freshness,
    Limits,
    MockResponse,
    MockTransport,
    Timeouts,
)
from commentluv import errors as errors_module

PACKAGE = Path(commentluv.__file__).parent

PUBLIC_NAMES = [
    "STYLES",
    "AddCache",
    "AddressPolicy",
    "AsyncCommentLuv",
    "BlockedURL",
    "Cache",
    "ChallengePage",
    "ChoiceCheck",
    "ChoiceReason",
    "CommentLuv",
    "CommentLuvError",
    "Deadline",
    "FeedError",
    "FeedNotFound",
    "FetchError",
    "FetchTimeout",
    "Format",
    "Freshness",
    "HTTPStatusError",
    "HTTPTransport",
    "InvalidURL",
    "Limits",
    "LookupResult",
    "MemoryCache",
    "MockResponse",
    "MockTransport",
    "NoPosts",
    "NotFound",
    "NullCache",
    "Post",
    "Request",
    "ResponseTooLarge",
    "Timeouts",
    "TooManyRedirects",
    "Transport",
    "TransportResponse",
    "__version__",
    "backlink",
    "configure",
    "default_client",
    "format_backlink",
    "latest",
    "recent",
    "set_default_client",
    "validate_style",
    "validate_template",
]


def test_the_public_names_are_pinned_and_all_resolve():
    assert sorted(commentluv.__all__) == sorted(PUBLIC_NAMES)
    for name in PUBLIC_NAMES:
        assert getattr(commentluv, name) is not None


def test_dir_and_help_show_the_client_and_the_format_type():
    assert {"CommentLuv", "Format", "configure", "HTTPTransport"} <= set(dir(commentluv))
    text = io.StringIO()
    pydoc.Helper(output=text).help(commentluv)
    assert "class CommentLuv" in text.getvalue()
    assert "configure(" in text.getvalue() and "set_default_client(" in text.getvalue()


def test_configure_and_set_default_client_replace_the_module_level_client():
    original = commentluv.default_client()
    try:
        configured = commentluv.configure(timeout=2.5, allow_private_hosts=True)
        assert commentluv.default_client() is configured
        assert configured.timeouts.total == 2.5 and configured.policy.allow_private_hosts
        mine = CommentLuv()
        assert commentluv.set_default_client(mine) is configured
        assert commentluv.default_client() is mine
    finally:
        commentluv.set_default_client(original)


# Options


def test_shorthands_and_groups_give_the_same_client():
    short = CommentLuv(timeout=2.5, connect_timeout=1.0, posts_ttl=60, allowed_ports=[80, 8443])
    grouped = CommentLuv(
        timeouts=Timeouts(total=2.5, connect=1.0),
        freshness=Freshness(posts_ttl=60),
        policy=AddressPolicy(allowed_ports=frozenset({80, 8443})),
    )
    for group in ("timeouts", "limits", "freshness", "policy"):
        assert getattr(short, group) == getattr(grouped, group)
    assert short.timeouts == Timeouts(total=2.5, connect=1.0, read=2.5)  # read clamped


def test_a_group_and_its_own_shorthand_together_are_refused():
    with pytest.raises(TypeError, match="timeout inside the Timeouts"):
        CommentLuv(timeouts=Timeouts(total=3), timeout=2)
    with pytest.raises(TypeError, match="unexpected keyword arguments: sesion"):
        CommentLuv(sesion=None)  # type: ignore[call-arg]


def test_default_socket_timeouts_shrink_to_the_total_and_explicit_longer_ones_are_refused():
    assert Timeouts(total=1.0) == Timeouts(total=1.0, connect=1.0, read=1.0)
    assert Timeouts() == Timeouts(total=10.0, connect=3.05, read=5.0)
    with pytest.raises(ValueError, match=r"read timeout 5\.5s is longer than the total 2\.5s"):
        Timeouts(total=2.5, read=5.5)
    with pytest.raises(ValueError, match="positive"):
        Timeouts(total=0)


def test_limits_and_freshness_are_validated_and_derive_the_entry_ttl():
    with pytest.raises(ValueError, match="max_page_bytes"):
        Limits(max_page_bytes=0)
    with pytest.raises(ValueError, match="error_ttl"):
        Freshness(error_ttl=-1)
    assert Freshness(posts_ttl=10, stale_ttl=20, feed_ttl=5).entry_ttl == 30
    assert Freshness().entry_ttl == 3 * 24 * 3600


def test_mock_transport_is_the_supported_seam():
    transport = MockTransport(lambda request: MockResponse(404))
    luv = CommentLuv(transport=transport)
    result = luv.lookup("https://gone.example/")
    assert result.error is not None and result.error.kind == "not_found"
    assert [request.url for request in transport.requests] == ["https://gone.example/"]


# Errors


def _error_classes():
    return [
        value
        for value in vars(errors_module).values()
        if isinstance(value, type) and issubclass(value, commentluv.CommentLuvError)
    ]


def test_every_error_class_has_a_kind_of_its_own_and_round_trips():
    classes = _error_classes()
    kinds = [cls.kind for cls in classes]
    assert len(kinds) == len(set(kinds)) == 13
    for cls in classes:
        error = (
            cls("m", url="u", status=500)
            if issubclass(cls, commentluv.HTTPStatusError)
            else cls("m", url="u")
        )
        again = errors_module.error_from_dict(error.to_dict(), url="u")
        assert type(again) is cls and again.kind == error.kind and again.message == "m"


def test_http_status_errors_stand_beside_fetch_errors():
    assert not issubclass(commentluv.HTTPStatusError, commentluv.FetchError)
    assert commentluv.HTTPStatusError.for_status("x", status=404).kind == "not_found"
    assert commentluv.HTTPStatusError.for_status("x", status=410).kind == "not_found"
    assert (
        type(commentluv.HTTPStatusError.for_status("x", status=500)) is commentluv.HTTPStatusError
    )
    assert commentluv.ChallengePage("x", status=403).kind == "challenge"


# Structure


def _modules() -> dict[str, ast.Module]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = ast.parse(path.read_text(encoding="utf-8"))
    return found


def _is_package(name: str) -> bool:
    return (PACKAGE.parent / name.replace(".", "/") / "__init__.py").is_file()


def _imports(name: str, tree: ast.Module, *, top_level_only: bool) -> list[tuple[str, list[str]]]:
    """(imported module, names) for each import; relative imports resolved."""
    base = name if _is_package(name) else name.rpartition(".")[0]
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = []
    for node in nodes:
        if isinstance(node, ast.If) and top_level_only:
            continue  # TYPE_CHECKING blocks
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                anchor = base.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                module = ".".join([*anchor, module] if module else anchor)
            found.append((module, [alias.name for alias in node.names]))
    return found


def test_no_module_imports_an_underscored_name_from_another_module():
    offenders = [
        f"{name} imports {imported}.{symbol}"
        for name, tree in _modules().items()
        for imported, symbols in _imports(name, tree, top_level_only=False)
        if imported.startswith("commentluv")
        for symbol in symbols
        if symbol.startswith("_") and symbol != "__version__"
    ]
    assert offenders == []


PURE_ROOMS = ("commentluv.tokens", "commentluv._discovery", "commentluv._feeds", "commentluv._shared.text", "commentluv._shared.urls",
              "commentluv.formatting", "commentluv.models", "commentluv.errors")  # fmt: skip
SOCKET_LIBRARIES = ("requests", "urllib3", "socket", "ssl", "select", "http.client")


def test_the_rooms_keep_their_jobs():
    problems = []
    for name, tree in _modules().items():
        imported = {module for module, _ in _imports(name, tree, top_level_only=False)}
        if name.startswith(PURE_ROOMS):
            problems += [f"{name} imports {m}" for m in imported if m.startswith("commentluv._net")]
            problems += [f"{name} imports {m}" for m in imported if m.startswith(SOCKET_LIBRARIES)]
        if name.startswith("commentluv._net"):
            problems += [
                f"{name} imports {m}"
                for m in imported
                if m.startswith(
                    ("commentluv.client", "commentluv.cli", "commentluv._engine.lookup")
                )
            ]
        if name.startswith("commentluv.web"):  # the service fetches only through the client
            problems += [
                f"{name} imports {m}"
                for m in imported
                if m.startswith((*SOCKET_LIBRARIES, "commentluv._net"))
            ]
        # Sockets are the network room's alone, TLS and polling the real transport's; HTTP is
        # spoken by the transport itself (commentluv._net.wire), through no client library.
        allowed = () if name.startswith("commentluv._net") else ("socket",)
        if name != "commentluv._net.http":
            allowed += ("ssl", "select")
        problems += [
            f"{name} imports {m}"
            for m in imported
            if m.startswith(("requests", "urllib3", "http.client", *allowed))
        ]
    assert problems == []


def test_there_is_no_import_cycle_lazy_imports_included():
    # grimp is import-linter's graph: imports inside functions count (the command's old
    # cycle through backfill and serve was lazy on one side).
    import grimp

    graph = grimp.build_graph("commentluv")
    cycles = sorted(
        (module, imported)
        for module in graph.modules
        for imported in graph.find_modules_directly_imported_by(module)
        if imported != module and graph.chain_exists(importer=imported, imported=module)
    )
    assert cycles == []


def test_the_layering_contracts_hold(monkeypatch):
    from importlinter.cli import lint_imports

    monkeypatch.chdir(PACKAGE.parent)  # the contracts are in pyproject.toml
    # lint_imports configures logging with disable_existing_loggers: undone after the test,
    # or every later test in this process that reads the "commentluv" log sees nothing.
    monkeypatch.setattr(logging.getLogger("commentluv"), "disabled", False)
    assert lint_imports(no_cache=True, no_logo=True) == 0


def test_the_readme_configuration_example_shows_the_real_defaults():
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    start = readme.index(
        "from commentluv import AddressPolicy, CommentLuv, Freshness, Limits, Timeouts"
    )
    block = readme[start : readme.index("luv.backlink(", start)]
    namespace: dict[str, object] = {}
    exec(block, namespace)  # the README's own code, as a reader would paste it
    luv = namespace["luv"]
    assert isinstance(luv, CommentLuv)
    default = CommentLuv()
    for group in ("timeouts", "limits", "freshness", "policy"):
        assert getattr(luv, group) == getattr(default, group), group
    assert luv.user_agent == default.user_agent
