"""Running the documentation: every fenced block of README.md and docs/**/*.md.

The rules, per block language (a block in any other language fails the suite):

- A block with ``title="some/file"`` is a file the page tells you to write: it is written
  to the page's temporary working directory (a ``.py`` file is importable there).
- ``python``: run, in order, in one namespace per page (a page reads as one session), in
  that working directory.
- ``console``: each ``$ command`` line is run and the lines after it (up to the next ``$``)
  must match what it prints (stdout, then stderr); a line ``...`` stands for any lines, and
  ``...`` inside a line for any text. ``commentluv`` runs in-process; ``python`` runs the
  test's interpreter; ``pip install`` is checked, not run: every extra it names exists.
- ``html``, ``text``, ``xml``: markup, files and output shown to the reader; their facts are held by tests
  of their own where they have any (the widget's attributes, the error tree).

Offline, always: the default transport of every client a snippet builds is a
``MockTransport`` serving the bundled sample blog (``examples/sample-site/``) at every
``*.example`` host, so ``commentluv.latest("jadendaniels.example")`` answers as a real
lookup of that blog would, with the redirects, address policy, caps and parsing all real.
"""

from __future__ import annotations

import contextlib
import functools
import io
import itertools
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from commentluv import MockResponse, MockTransport, Request
from commentluv.errors import FetchError
from tests.support import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10 has no tomllib: pip's own copy of tomli, present in every venv
    from pip._vendor import tomli as tomllib

SAMPLE_SITE = ROOT / "examples" / "sample-site"
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
LANGUAGES = {"python", "console", "html", "css", "text", "xml", "yaml"}

_FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
_TITLE = re.compile(r'title="(?P<title>[^"]+)"')


@dataclass(frozen=True)
class Block:
    page: Path
    line: int
    language: str
    title: str | None
    body: str

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    """The fenced blocks of a page, in order."""
    text = page.read_text(encoding="utf-8")
    found = []
    for match in _FENCE.finditer(text):
        info = match["info"].strip()
        language = info.split()[0] if info else ""
        title = _TITLE.search(info)
        indent = len(match["indent"])
        body = "".join(line[indent:] for line in match["body"].splitlines(keepends=True))
        line = text.count("\n", 0, match.start()) + 1
        found.append(Block(page, line, language, title and title["title"], body))
    return found


def sample_blog(request: Request) -> MockResponse:
    """The bundled sample blog's files at any ``*.example`` host; elsewhere, no answer."""
    parts = request.url.split("/", 3)
    host, path = parts[2].lower(), "/" + (parts[3] if len(parts) > 3 else "")
    if not host.split(":")[0].endswith(".example"):
        raise FetchError("the connection was refused", url=request.url)
    file = SAMPLE_SITE / (path.split("?")[0].lstrip("/") or "index.html")
    if file.is_dir():
        file = file / "index.html"
    if not file.is_file() or SAMPLE_SITE not in file.resolve().parents:
        return MockResponse(404, {"Content-Type": "text/html"}, "<h1>Not found</h1>")
    kind = "application/rss+xml" if file.suffix == ".xml" else "text/html; charset=utf-8"
    return MockResponse(200, {"Content-Type": kind}, file.read_bytes())


def sample_transport() -> MockTransport:
    return MockTransport(sample_blog)


# Commands


@dataclass(frozen=True)
class Command:
    line: str
    expected: list[str]


def commands(block: Block) -> list[Command]:
    found: list[Command] = []
    for line in block.body.splitlines():
        if line.startswith("$ "):
            found.append(Command(line[2:].strip(), []))
        elif found:
            found[-1].expected.append(line)
        elif line.strip():
            raise AssertionError(f"{block.where}: output before any $ command: {line!r}")
    return found


def declared() -> tuple[set[str], set[str]]:
    """The project's extras and dependency groups."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return set(pyproject["project"].get("optional-dependencies", {})), set(
        pyproject.get("dependency-groups", {})
    )


def check_pip_install(argv: list[str], where: str) -> None:
    """``pip install`` is not run (the suite's environment has every extra): each
    ``commentluv[...]`` or ``-e '.[...]'`` it names must be an extra the project declares,
    and each ``--group NAME`` a dependency group."""
    known, groups = declared()
    for flag, name in itertools.pairwise(argv):
        if flag == "--group":
            assert name in groups, f"{where}: pip install names no dependency group {name!r}"
    for arg in argv:
        match = re.fullmatch(r"(?:commentluv|\.)\[(?P<names>[\w,-]+)\]", arg)
        if match:
            for name in match["names"].split(","):
                assert name in known, f"{where}: pip install names no extra {name!r}"


def run_commentluv(argv: list[str]) -> tuple[int, str]:
    from commentluv.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(argv, stdin=io.StringIO(""))
        except SystemExit as exit_:  # argparse's --help and usage errors
            status = int(exit_.code or 0)
    return status, out.getvalue() + err.getvalue()


def run_python(argv: list[str], cwd: Path) -> tuple[int, str]:
    result = subprocess.run(
        [sys.executable, *argv], cwd=cwd, capture_output=True, text=True, timeout=120
    )
    return result.returncode, result.stdout + result.stderr


def matches(expected: list[str], output: str) -> bool:
    """Whether ``output`` is what the page shows: a line ``...`` stands for any lines, and
    ``...`` inside a line for any text."""
    got = output.rstrip("\n").split("\n") if output.strip() else []
    want = [line.rstrip() for line in expected]
    while want and not want[-1]:
        want.pop()
    patterns = [
        None if line.strip() == "..." else re.compile(re.escape(line).replace(r"\.\.\.", ".*"))
        for line in want
    ]

    @functools.cache
    def fits(i: int, j: int) -> bool:
        if i == len(patterns):
            return j == len(got)
        pattern = patterns[i]
        if pattern is None:
            return any(fits(i + 1, k) for k in range(j, len(got) + 1))
        return (
            j < len(got) and pattern.fullmatch(got[j].rstrip()) is not None and fits(i + 1, j + 1)
        )

    return fits(0, 0)


def split_chain(line: str) -> list[list[str]]:
    """``a && b`` as two argv lists (the only shell syntax the pages use)."""
    return [shlex.split(part) for part in line.split(" && ")]
