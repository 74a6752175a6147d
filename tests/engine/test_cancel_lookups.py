"""CommentLuv.cancel_lookups: lookups cut off by their caller end at once, and nothing they
were doing is cached, not even as a failure (on a real loopback server)."""

from __future__ import annotations

import threading
import time

from commentluv import CommentLuv, LookupCancelled
from tests.support.backfill import home, loopback_blog
from tests.support.loopback import Route


def test_a_cancelled_lookup_ends_at_once_and_leaves_the_cache_alone(site):
    reached, release = threading.Event(), threading.Event()

    def held(request):
        reached.set()
        release.wait(60)
        request._answer(Route(home("/held/feed/").encode()))

    url = loopback_blog(site, "/held", handler=held)
    healthy = loopback_blog(site, "/ok")
    with CommentLuv(allow_private_hosts=True, timeout=30) as luv:
        answers = []
        worker = threading.Thread(target=lambda: answers.append(luv.lookup(url)))
        worker.start()
        try:
            assert reached.wait(10)
            started = time.monotonic()
            assert luv.cancel_lookups() == 1
            worker.join(10)
            assert time.monotonic() - started < 5  # not the 30 s the deadline allowed
        finally:
            release.set()
        (answer,) = answers
        assert isinstance(answer.error, LookupCancelled) and answer.error.kind == "cancelled"
        assert luv.lookup_if_cached(url) is None  # no failure remembered for a healthy site
        # Later lookups run as usual.
        assert luv.cancel_lookups() == 0
        assert luv.lookup(healthy).error is None and luv.lookup(url).error is None
