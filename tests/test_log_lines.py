"""Every log line is one printable line, whatever strangers put into the values it carries
(form fields, URLs, servers' strings, titles): no forged line, no terminal escape."""

from __future__ import annotations

import ast
import io
import logging
import re
import sys

import pytest

from commentluv import CommentLuv, MemoryCache
from commentluv.cli.options import logging_to_stderr
from commentluv.integrations.common import pick_post
from tests.support import ROOT

SECRET = b"the blog's own secret, 32 bytes!"
FORGED = "commentluv: WARNING: forged"
# A newline that starts a line of the attacker's own, a screen clear, a window title, a bidi
# override: what a link, a URL, a reason phrase or a title may hold.
HOSTILE = f"https://x.example/\n{FORGED}\r\x1b[2J\x1b]0;owned\x07\u202eevil\x85\u2028end"
# What must never reach the output: C0/C1 controls but the line ends, bidi and line separators.
UNSHOWABLE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]"
)


@pytest.fixture
def output(monkeypatch):
    """What the command's logging handler writes (at DEBUG), as an operator would read it."""
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    with logging_to_stderr(2):
        yield stream


def assert_clean(text: str) -> None:
    assert text, "nothing was logged"
    assert not UNSHOWABLE.search(text), ascii(text)
    for line in text.splitlines():
        assert not line.startswith(FORGED), ascii(text)
        if "Traceback" not in text:  # else frames and the exception's line follow
            assert line.startswith("commentluv: "), ascii(text)


@pytest.fixture
def luv(web, blog, clock):
    client = CommentLuv(
        transport=web.transport, clock=clock, cache=MemoryCache(timer=clock), choice_secret=SECRET
    )
    yield client
    client.close()


def test_a_refused_choice_logs_the_forms_link_on_one_line(luv, blog, output):
    assert pick_post(luv, blog.site, HOSTILE, "no-token") is None
    assert_clean(output.getvalue())
    assert "chosen post refused" in output.getvalue()


def test_a_site_url_that_is_no_url(luv, output):
    assert pick_post(luv, HOSTILE) is None
    assert_clean(output.getvalue())


def test_a_failing_lookup_with_a_strangers_message_in_its_traceback(luv, blog, output, monkeypatch):
    def explode(*args, **kwargs):
        raise ValueError(HOSTILE)

    monkeypatch.setattr(luv, "lookup", explode)
    assert pick_post(luv, blog.site) is None
    text = output.getvalue()
    assert_clean(text)
    assert "Traceback" in text and "ValueError: https://x.example/" in text


def _logging_calls() -> list[tuple[str, int, str, str]]:
    """(file, line, level, format) of every ``logger.<level>("...", ...)`` in commentluv/."""
    calls = []
    levels = {"debug", "info", "warning", "error", "exception", "critical"}
    for path in sorted((ROOT / "commentluv").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in levels
                and ast.unparse(node.func.value) in ("logger", "logging.getLogger('commentluv')")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                name = str(path.relative_to(ROOT))
                calls.append((name, node.lineno, node.func.attr, node.args[0].value))
    return calls


CALLS = _logging_calls()


def test_every_module_that_logs_logs_through_the_commentluv_logger():
    # The printable filter sits on that logger, so it sees every record of theirs.
    assert len(CALLS) >= 20
    for name in {name for name, *_ in CALLS}:
        source = (ROOT / name).read_text(encoding="utf-8")
        assert 'logging.getLogger("commentluv")' in source, name
        assert not re.search(r"getLogger\((?!\"commentluv\"\))", source), name


@pytest.mark.parametrize(("name", "line", "level", "form"), CALLS, ids=lambda v: str(v)[:40])
def test_each_logging_call_site_with_hostile_values(name, line, level, form, output):
    """Each call's own format, every value in it a stranger's string (numbers stay numbers),
    logged as the call does it (a traceback with a hostile message for logger.exception)."""
    values = []
    for conversion in re.findall(r"%[-#0 +]*\d*(?:\.\d+)?([a-zA-Z%])", form):
        if conversion != "%":
            values.append(7 if conversion in "dig" else HOSTILE)
    logger = logging.getLogger("commentluv")
    try:
        raise ValueError(HOSTILE)
    except ValueError:
        if level == "exception":
            logger.exception(form, *values)
        else:
            getattr(logger, level)(form, *values, exc_info=level == "error")
    assert_clean(output.getvalue())


def test_values_keep_their_conversions_and_the_template_stays(output, caplog):
    logger = logging.getLogger("commentluv")
    with caplog.at_level(logging.INFO, "commentluv"):
        logger.info("%s|%r|%.5s|%d|%.1f", HOSTILE, HOSTILE, HOSTILE, 7, 0.25)
        logger.info("%(link)s", {"link": "a\nb"})
    first, second = output.getvalue().splitlines()
    assert first.startswith(
        r"commentluv: INFO: https://x.example/\ncommentluv: WARNING: forged\r\x1b[2J"
    )
    assert r"|'https://x.example/\ncommentluv" in first and first.endswith("|https|7|0.2")
    assert second == r"commentluv: INFO: a\nb"
    assert caplog.records[0].msg == "%s|%r|%.5s|%d|%.1f"  # log tools group by the template
