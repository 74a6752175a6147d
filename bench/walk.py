"""The walk of one cold lookup through the package: how often control moves from one
commentluv module to another (calls and returns; and, as ``sys.settrace`` would show it,
from one called function's module to the next one's), and through which modules.

    .venv/bin/python -m bench.walk              # the counts, then the modules by visits
    .venv/bin/python -m bench.walk --steps      # and every step, in order

A steady-state cold lookup over a MockTransport (a home page that links its RSS feed, and
the feed): the client, cache and parsers are warmed on another site first, so one-time
imports and compiled patterns are not counted. Frames outside the package (the standard
library, lxml, feedparser) are passed through: a call from one commentluv module into
another through the standard library counts as one move. Only the public API is used, so
the same script measures an older checkout (``PYTHONPATH=/path/to/checkout python
bench/walk.py``).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from types import FrameType
from typing import Any

from commentluv import CommentLuv, MockResponse, MockTransport, Request

_PAGE = (
    '<html><head><link rel="alternate" type="application/rss+xml" href="{site}feed/"></head></html>'
)
_ITEM = (
    "<item><title>Post {n}</title><link>{site}{n}/</link>"
    "<pubDate>{day:02d} Nov 2026 10:00:00 +0000</pubDate></item>"
)


def _answer(request: Request) -> MockResponse:
    site = request.url.split("/", 3)[:3]
    base = "/".join(site) + "/"
    if request.url.endswith("/feed/"):
        items = "".join(_ITEM.format(n=n, site=base, day=28 - n) for n in range(10))
        body = f'<rss version="2.0"><channel><title>Blog</title>{items}</channel></rss>'
        return MockResponse(headers={"Content-Type": "application/rss+xml"}, body=body)
    return MockResponse(headers={"Content-Type": "text/html"}, body=_PAGE.format(site=base))


def _module_of(frame: FrameType | None) -> str | None:
    """The commentluv module running in ``frame`` or, through foreign frames, below it."""
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if name == "commentluv" or name.startswith("commentluv."):
            return str(name)
        frame = frame.f_back
    return None


def walk(url: str = "https://walk.example/") -> tuple[list[str], list[str]]:
    """Two views of one cold lookup's path through the commentluv modules, in order (a
    module is listed again only after another):

    - every move: control entering a module by a call or coming back to it by a return
      (through foreign frames, as :func:`_module_of` reads them);
    - calls only: the module of each commentluv function called, as ``sys.settrace`` shows
      a lookup (its "call" events).
    """
    client = CommentLuv(transport=MockTransport(_answer))
    assert client.lookup("https://warm.example/").ok  # imports, patterns, pools
    steps: list[str] = []
    calls: list[str] = []

    def profile(frame: FrameType, event: str, _arg: Any) -> None:
        if event == "call":
            module = _module_of(frame)
            own = str(frame.f_globals.get("__name__", ""))
            if own.startswith("commentluv") and (not calls or calls[-1] != own):
                calls.append(own)
        elif event == "return":
            module = _module_of(frame.f_back)
        else:
            return
        if module is not None and (not steps or steps[-1] != module):
            steps.append(module)

    sys.setprofile(profile)
    try:
        result = client.lookup(url)
    finally:
        sys.setprofile(None)
    if not result.ok or result.cached:
        raise RuntimeError(f"the traced lookup was not a cold one: {result}")
    client.close()
    return steps, calls


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.walk", description=__doc__)
    parser.add_argument("--steps", action="store_true", help="print every step")
    args = parser.parse_args(argv)
    steps, calls = walk()
    visits = Counter(steps)
    print(f"module changes in one cold lookup: {len(steps) - 1} (calls and returns)")
    print(f"module changes between calls: {len(calls) - 1} (sys.settrace's call events)")
    print(f"modules visited: {len(visits)}")
    for module, count in visits.most_common():
        print(f"  {count:4d}  {module}")
    if args.steps:
        print("\n".join(steps))
    return 0


if __name__ == "__main__":
    sys.exit(main())
