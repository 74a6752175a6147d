"""Every fenced block of README.md and docs/ runs (see tests/docs/snippets.py for the rules):
a snippet that stops working, or output that changes, fails here."""

from __future__ import annotations

import linecache
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

import commentluv
from commentluv._net.network import Network
from tests.docs.snippets import (
    LANGUAGES,
    PAGES,
    Block,
    blocks,
    check_pip_install,
    commands,
    matches,
    run_commentluv,
    run_python,
    sample_transport,
    split_chain,
)
from tests.support import ROOT

# Pages whose blocks another test applies as the page says (a fresh project, step by step).
APPLIED_ELSEWHERE = {"docs/integrations/django.md": "tests/docs/test_django_page.py"}
# Pages whose snippets talk to Redis (REDIS_URL); skipped only where redis-server is missing.
NEEDS_REDIS = {"docs/guide/celery.md"}
PYTHONS = {"python", "python3", ".venv/bin/python"}
PIPS = {"pip", ".venv/bin/pip"}


def page_id(page: Path) -> str:
    return str(page.relative_to(ROOT))


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """A reader's session: an empty working directory, no cache of theirs, and every
    client's default transport serving the sample blog."""
    monkeypatch.setattr(Network, "_own_transport", lambda self: sample_transport())
    monkeypatch.setattr(commentluv, "_default_client", None)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    client = commentluv._default_client
    if client is not None:
        client.close()


def test_every_block_is_in_a_language_the_suite_runs_or_checks():
    for page in PAGES:
        for block in blocks(page):
            assert block.language in LANGUAGES, f"{block.where}: ```{block.language}"


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_the_page_runs(page, offline, request, monkeypatch):
    if page_id(page) in APPLIED_ELSEWHERE:
        assert (ROOT / APPLIED_ELSEWHERE[page_id(page)]).is_file()
        return
    if page_id(page) in NEEDS_REDIS:
        # The page's Redis is a real one, started for the suite on 127.0.0.1.
        url = request.getfixturevalue("redis_server").url
        monkeypatch.setenv("REDIS_URL", url.rsplit("/", 1)[0])
    for name in [name for name in sys.modules if name.split(".")[0] in ("blog", "mysite")]:
        monkeypatch.delitem(sys.modules, name)  # a page's own modules, fresh for the page
    namespace: dict[str, object] = {"__name__": "__docs__"}
    written: set[str] = set()
    for block in blocks(page):
        if block.title is not None:
            write_file(block, offline, written)
        elif block.language == "python":
            run_python_block(block, namespace)
        elif block.language == "console":
            for command in commands(block):
                run_command(block, command, offline, written)


def write_file(block: Block, folder: Path, written: set[str]) -> None:
    """A block titled with a file name is that file: written where the page's commands run."""
    assert block.title is not None
    target = folder / block.title
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(block.body, encoding="utf-8")
    if block.title.endswith(".py"):
        for parent in Path(block.title).parents:  # a package's folders get an __init__.py
            if parent != Path("."):
                (folder / parent / "__init__.py").touch()
        written.add(block.title.removesuffix(".py").replace("/", "."))


def run_python_block(block: Block, namespace: dict) -> None:
    # Compiled at the block's own lines of the page, so a traceback shows the page.
    page = str(block.page)
    lines = block.page.read_text(encoding="utf-8").splitlines(True)
    linecache.cache[page] = (sum(map(len, lines)), None, lines, page)
    code = compile("\n" * block.line + block.body, page, "exec")
    exec(code, namespace)  # the page's own code, as a reader would paste it


def run_command(block: Block, command, folder: Path, written: set[str]) -> None:
    where = f"{block.where}: $ {command.line}"
    output, status = "", 0
    for argv in split_chain(command.line):
        program = argv[0]
        if program in PIPS:
            check_pip_install(argv, where)
        elif program in PYTHONS and argv[1:3] == ["-m", "venv"]:
            pass  # the suite already runs in the environment the page sets up
        elif program in PYTHONS and argv[1:3] == ["-m", "pytest"]:
            # The suite itself: not run inside itself; CI runs it.
            assert "-m pytest" in (ROOT / ".ci" / "run").read_text(), where
        elif program in PYTHONS:
            status, output = run_python(argv[1:], ROOT)
        elif argv[:2] == ["commentluv", "serve"]:
            # A server runs until stopped: its command line is parsed as `serve` parses it
            # (tests/cli/test_serve.py runs the service itself).
            from commentluv.cli.serve import _parser

            options = _parser().parse_args(argv[2:])
            assert options.secret_file is None or Path(options.secret_file).is_file(), where
        elif program == "commentluv":
            status, output = run_commentluv(argv[1:])
        elif program == "celery":
            # Celery's own worker and beat need a broker: the module they load must be the
            # one the page writes (its tasks are run by tests/integrations/test_celery.py).
            assert argv[argv.index("-A") + 1] in written, where
        elif program == "head":
            subprocess.run(shlex.join(argv[:-2]) + " > " + argv[-1], shell=True, check=True)
        else:
            raise AssertionError(f"{where}: the suite does not know how to run {program!r}")
        if status != 0:
            break  # as `&&` does
    if command.expected:
        assert matches(command.expected, output), f"{where}\n--- got:\n{output}"
    else:
        assert status == 0, f"{where}: exit status {status}\n{output}"


def test_every_yaml_block_parses():
    import yaml

    found = [block for page in PAGES for block in blocks(page) if block.language == "yaml"]
    assert found
    for block in found:
        assert isinstance(yaml.safe_load(block.body), dict), block.where
