"""The backfill engine: one lookup per site, historical data first, as-of choice, outcomes,
summary, resume, and the limits overall and per host (on real loopback servers)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest

from commentluv import CommentLuv, Limits
from commentluv.backfill import BackfillOptions, Comment, StateMismatch, backfill
from commentluv.backfill.readers import historical_post
from tests.support.backfill import fake_blog, home, loopback_blog, when
from tests.support.loopback import LoopbackSite, Route


def client(web, **options):
    return CommentLuv(transport=web.transport, **options)


def run_all(comments, luv, **options):
    with backfill(comments, luv, **options) as run:
        results = list(run)
        return results, run.summary, list(run.results())


def by_id(results):
    return {result.comment_id: result for result in results}


def test_each_site_is_looked_up_once_and_its_answer_fans_out(web):
    fake_blog(web, "http://ann.example")
    fake_blog(web, "http://bob.example")
    comments = [
        Comment("1", "Ann", "ann.example"),
        Comment("2", "Bob", "http://bob.example/"),
        Comment("3", "Ann", "HTTP://Ann.Example"),
        Comment("4", "Ann again", "http://ann.example/#about"),
    ]
    results, summary, in_order = run_all(comments, client(web))
    assert sorted(web.urls()) == [
        "http://ann.example/",
        "http://ann.example/feed/",
        "http://bob.example/",
        "http://bob.example/feed/",
    ]
    assert [r.comment_id for r in in_order] == ["1", "2", "3", "4"]
    assert {r.site for r in results} == {"http://ann.example/", "http://bob.example/"}
    four = by_id(results)["4"]
    assert (four.outcome, four.chosen, four.post.title) == ("ok", "latest", "Third post")
    assert four.backlink == ".-= Ann again's last blog ..Third post =-."
    assert four.backlink_html == (
        '.-= Ann again\'s last blog ..<a href="http://ann.example/3/" rel="nofollow ugc">'
        "Third post</a> =-."
    )
    assert (summary.comments, summary.sites, summary.sites_looked_up) == (4, 2, 2)
    assert summary.outcomes == {"ok": 4} and summary.chosen == {"latest": 4}


def test_the_old_plugins_backlink_wins_and_costs_no_request(web):
    historical = historical_post(
        {"cl_post_title": "From 2009", "cl_post_url": "http://cy.example/2009/"}, "cy.example"
    )
    comments = [Comment("1", "Cy", "cy.example", when("2009-06-01"), historical=historical)]
    results, summary, _ = run_all(comments, client(web), as_of="comment-date")
    assert web.urls() == []
    (result,) = results
    assert (result.outcome, result.chosen, result.site) == (
        "ok",
        "historical",
        "http://cy.example/",
    )
    assert result.backlink == ".-= Cy's last blog ..From 2009 =-."
    assert summary.sites == 0 and summary.chosen == {"historical": 1}


def test_comments_that_are_not_looked_up(web):
    fake_blog(web, "http://ann.example")
    comments = [
        Comment("spam", "Spammer", "ann.example", approved=False),
        Comment("ping", "Blog", "ann.example/post/", comment_type="pingback"),
        Comment("anon", "Anon", ""),
        Comment("js", "Mallory", "javascript:alert(1)"),
    ]
    results, summary, _ = run_all(comments, client(web))
    assert web.urls() == []
    assert {r.comment_id: (r.outcome, r.error) for r in results} == {
        "spam": ("unapproved", None),
        "ping": ("not_a_comment", None),
        "anon": ("no_url", None),
        "js": ("error", "invalid_url"),
    }
    assert summary.errors == {"invalid_url": 1}
    results, _, _ = run_all(comments[:1], client(web), include_unapproved=True)
    assert results[0].outcome == "ok"


def test_failures_keep_their_kind(web, site):
    fake_blog(web, "http://ann.example")
    web.get("http://gone.example/", status=404)
    comments = [
        Comment("1", "Ann", "ann.example"),
        Comment("2", "Dead", "dead.example"),  # FakeWeb: connection refused
        Comment("3", "Gone", "gone.example"),
        Comment("4", "Local", site.url),  # the address policy refuses loopback
    ]
    results, summary, _ = run_all(comments, client(web))
    assert {r.comment_id: r.error for r in results} == {
        "1": None,
        "2": "unreachable",
        "3": "not_found",
        "4": "blocked",
    }
    assert by_id(results)["2"].message == "the connection was refused"
    assert summary.outcomes == {"ok": 1, "error": 3}
    assert summary.errors == {"unreachable": 1, "not_found": 1, "blocked": 1}
    assert site.paths() == []


# As of the comment's date


def test_as_of_picks_the_newest_post_at_or_before_the_comment(web):
    fake_blog(web, "http://ann.example")
    comments = [
        Comment("after-all", "A", "ann.example", when("2026-12-01")),
        Comment("between", "A", "ann.example", when("2026-11-15")),
        Comment("same-day", "A", "ann.example", when("2026-11-10")),
        Comment("too-early", "A", "ann.example", when("2026-10-01")),
        Comment("undated", "A", "ann.example"),
    ]
    results, summary, _ = run_all(comments, client(web), as_of="comment-date")
    assert {r.comment_id: (r.outcome, r.chosen, r.post and r.post.title) for r in results} == {
        "after-all": ("ok", "as_of", "Third post"),
        "between": ("ok", "as_of", "Second post"),
        "same-day": ("ok", "as_of", "Second post"),
        "too-early": ("no_post_at_date", None, None),
        "undated": ("no_post_at_date", None, None),
    }
    assert summary.outcomes == {"ok": 3, "no_post_at_date": 2}
    assert len(web.urls()) == 2


def test_fallback_latest_says_so(web):
    fake_blog(web, "http://ann.example")
    comments = [Comment("early", "A", "ann.example", when("2020-01-01"))]
    results, _, _ = run_all(comments, client(web), as_of="comment-date", fallback="latest")
    assert (results[0].outcome, results[0].chosen, results[0].post.title) == (
        "ok",
        "latest",
        "Third post",
    )


def test_as_of_reads_every_post_the_cache_keeps(web):
    # A post a day, going back from New Year's Eve; the comment is 45 posts back.
    days = [when("2026-12-31") - timedelta(days=n) for n in range(60)]
    fake_blog(
        web, "http://ann.example", [(f"Post {n}", f"/{n}/", str(d)) for n, d in enumerate(days)]
    )
    old = Comment("old", "A", "ann.example", days[45])
    results, _, _ = run_all([old], client(web), as_of="comment-date")
    assert (results[0].chosen, results[0].post.title) == ("as_of", "Post 45")
    results, _, _ = run_all(
        [old], client(web, limits=Limits(max_stored_posts=10)), as_of="comment-date"
    )
    assert results[0].outcome == "no_post_at_date"


# Options and progress


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"per_host": 3}, "per_host must be from 1 to 2"),
        ({"jobs": 0}, "jobs must be from 1"),
        ({"delay": -1.0}, "delay must be 0 or more"),
        ({"as_of": "yesterday"}, "as_of must be"),
        ({"style": "{nope}"}, "placeholder"),
    ],
)
def test_bad_options_are_refused_up_front(options, message):
    with pytest.raises(ValueError, match=message):
        BackfillOptions(**options)


def test_progress_reports_reading_then_each_site_then_done(web):
    fake_blog(web, "http://ann.example")
    fake_blog(web, "http://bob.example")
    seen = []
    comments = [Comment("1", "A", "ann.example"), Comment("2", "B", "bob.example")]
    run_all(comments, client(web), progress=seen.append)
    assert [(p.phase, p.comments, p.sites_done, p.sites_total) for p in seen] == [
        ("reading", 2, 0, 0),
        ("looking_up", 0, 0, 2),
        ("looking_up", 1, 1, 2),
        ("looking_up", 2, 2, 2),
        ("done", 2, 2, 2),
    ]


def test_an_unexpected_failure_is_logged_and_the_run_goes_on(web, caplog):
    fake_blog(web, "http://ann.example")
    luv = client(web)
    real = luv.lookup

    def lookup(url, limit=1, **kwargs):
        if "bob" in url:
            raise KeyError("a bug")
        return real(url, limit, **kwargs)

    luv.lookup = lookup
    comments = [Comment("1", "A", "ann.example"), Comment("2", "B", "bob.example")]
    results, _, _ = run_all(comments, luv)
    assert {r.comment_id: r.outcome for r in results} == {"1": "ok", "2": "error"}
    assert by_id(results)["2"].message == "unexpected failure: KeyError('a bug')"
    assert "looking up http://bob.example/ failed unexpectedly" in caplog.text


# Resume


def test_resume_redoes_no_finished_site_and_loses_no_result(web, tmp_path):
    for name in ("ann", "bob", "cy"):
        fake_blog(web, f"http://{name}.example")
    comments = [
        Comment(str(n), "X", f"{name}.example")
        for n, name in enumerate(["ann", "bob", "cy", "ann"])
    ]
    state = tmp_path / "state.sqlite3"
    with backfill(comments, client(web), state=state, jobs=1, source="v1") as run:
        first = next(run)  # Ann's site is done: a crash now must not lose it
    assert first.site == "http://ann.example/"
    assert web.urls().count("http://ann.example/") == 1
    # A resumed run does not read the input again (an empty list here)...
    results, summary, in_order = run_all([], client(web), state=state, resume=True, source="v1")
    assert sorted(r.index for r in results) == [0, 1, 2, 3]
    assert [r.comment_id for r in in_order] == ["0", "1", "2", "3"]
    # ...nor fetch Ann's site again.
    assert set(Counter(web.urls()).values()) == {1}
    assert summary.sites_resumed == 1 and summary.sites_looked_up == 2


def test_resume_refuses_another_input_or_other_options(web, tmp_path):
    fake_blog(web, "http://ann.example")
    state = tmp_path / "state.sqlite3"
    run_all([Comment("1", "A", "ann.example")], client(web), state=state, source="a")
    with pytest.raises(StateMismatch, match="another input or other options"):
        run_all([], client(web), state=state, resume=True, source="b")
    with pytest.raises(StateMismatch):
        run_all([], client(web), state=state, resume=True, source="a", as_of="comment-date")
    # Without resume the file is simply started afresh.
    results, _, _ = run_all(
        [Comment("2", "A", "ann.example")], client(web), state=state, source="b"
    )
    assert [r.comment_id for r in results] == ["2"]


def test_the_temporary_state_is_removed(web, tmp_path):
    run = backfill([Comment("1", "A", "")], client(web))
    with run:
        assert len(list(run)) == 1
        assert run.state_path.exists()
    assert not run.state_path.exists()


# Limits overall and per host, on real servers


class Gauge:
    """How many requests are in at once, and the most there were."""

    def __init__(self):
        self.now = self.peak = 0
        self.lock = threading.Lock()

    def enter(self):
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)

    def leave(self):
        with self.lock:
            self.now -= 1


class Concurrency:
    """A home-page handler that holds each request a moment, measuring the overlap on its
    host (``gauge``) and on every host together (``total``)."""

    def __init__(self, hold=0.15, total=None):
        self.hold, self.gauge, self.total = hold, Gauge(), total or Gauge()
        self.starts = []

    def __call__(self, request):
        self.starts.append(time.monotonic())
        for gauge in (self.gauge, self.total):
            gauge.enter()
        time.sleep(self.hold)
        for gauge in (self.gauge, self.total):
            gauge.leave()
        request._answer(Route(home(f"{request.path.rstrip('/')}/feed/").encode()))


@pytest.fixture
def other_site():
    server = LoopbackSite()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def test_at_most_two_lookups_at_once_on_one_host_and_jobs_across_hosts(site, other_site):
    total = Gauge()
    watches, comments = [], []
    for server in (site, other_site):
        watch = Concurrency(total=total)
        watches.append(watch)
        for n in range(5):
            url = loopback_blog(server, f"/b{n}", handler=watch)
            comments += [Comment(f"{server.url}{n}", "X", url)] * 2
    luv = CommentLuv(allow_private_hosts=True, timeout=5)
    _, summary, _ = run_all(comments, luv, jobs=8)
    assert summary.outcomes == {"ok": 20} and summary.sites_looked_up == 10
    assert [w.gauge.peak for w in watches] == [2, 2]  # never more than 2 on one host...
    assert total.peak == 4  # ...while both hosts are served at once
    assert len(site.paths()) == len(other_site.paths()) == 10  # one page + one feed per site


def test_per_host_one_and_a_delay_between_starts(site):
    watch = Concurrency(hold=0.0)
    comments = [
        Comment(str(n), "X", loopback_blog(site, f"/b{n}", handler=watch)) for n in range(3)
    ]
    luv = CommentLuv(allow_private_hosts=True, timeout=5)
    results, _, _ = run_all(comments, luv, per_host=1, delay=0.25)
    assert [r.outcome for r in results] == ["ok"] * 3
    gaps = [b - a for a, b in zip(watch.starts, watch.starts[1:], strict=False)]
    assert len(gaps) == 2 and min(gaps) >= 0.24


def test_a_slow_site_does_not_hold_up_the_others(site, other_site):
    slow = loopback_blog(site, "/slow", handler=Concurrency(hold=1.0))
    fast = [loopback_blog(other_site, f"/f{n}") for n in range(4)]
    comments = [Comment("slow", "S", slow)] + [
        Comment(str(n), "F", url) for n, url in enumerate(fast)
    ]
    order = []
    with backfill(comments, CommentLuv(allow_private_hosts=True, timeout=5), jobs=4) as run:
        for result in run:
            order.append(result.comment_id)
    assert order[-1] == "slow" and sorted(order[:-1]) == ["0", "1", "2", "3"]


# Stopping early (Ctrl-C in the command)


class Held:
    """A home page that answers only once released (or after a minute)."""

    def __init__(self):
        self.release, self.reached = threading.Event(), threading.Event()

    def __call__(self, request):
        self.reached.set()
        self.release.wait(60)
        request._answer(Route(home(f"{request.path.rstrip('/')}/feed/").encode()))


def test_stop_cuts_off_the_lookups_in_flight_and_neither_records_nor_caches_them(site, tmp_path):
    held = Held()
    fast = loopback_blog(site, "/fast")
    slow = loopback_blog(site, "/slow", handler=held)
    luv = CommentLuv(allow_private_hosts=True, timeout=30)
    state = tmp_path / "state.sqlite3"
    comments = [Comment("1", "F", fast), Comment("2", "S", slow)]
    try:
        with backfill(comments, luv, state=state, source="s") as run:
            assert next(run).comment_id == "1"
            assert held.reached.wait(10)
            threading.Timer(0.2, run.stop).start()  # as the command's SIGINT handler does
            started = time.monotonic()
            assert list(run) == []
            assert time.monotonic() - started < 5  # not the 30 s the lookup had left
            assert run.interrupted and run.summary.comments == 1
        # The cut-off lookup was not cached as a failure (nor anything else)...
        assert luv.lookup_if_cached(slow) is None
        # ...and its site is left for a resume, which finds it healthy.
        held.release.set()
        results, summary, _ = run_all([], luv, state=state, resume=True, source="s")
        assert [(r.comment_id, r.outcome) for r in results] == [("1", "ok"), ("2", "ok")]
        assert summary.sites_resumed == 1 and summary.sites_looked_up == 1
    finally:
        held.release.set()
        luv.close()


def test_a_keyboard_interrupt_in_the_iterating_thread_stops_in_order_too(site, tmp_path):
    held = Held()
    fast = loopback_blog(site, "/fast")
    slow = loopback_blog(site, "/slow", handler=held)
    luv = CommentLuv(allow_private_hosts=True, timeout=30)

    def interrupting(progress):
        # Once the fast site is done, while the slow one is in flight.
        if progress.sites_done == 1 and held.reached.wait(10):
            raise KeyboardInterrupt

    comments = [Comment("1", "F", fast), Comment("2", "S", slow)]
    run = backfill(comments, luv, progress=interrupting)
    try:
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt), run:
            list(run)
        assert time.monotonic() - started < 5
        assert run.interrupted
        assert luv.lookup_if_cached(slow) is None  # cut off, not remembered as a timeout
    finally:
        held.release.set()
        luv.close()


def test_refresh_skips_what_the_cache_holds(web):
    fake_blog(web, "http://ann.example")
    luv = client(web)
    run_all([Comment("1", "A", "ann.example")], luv)
    run_all([Comment("1", "A", "ann.example")], luv)
    assert web.urls().count("http://ann.example/feed/") == 1  # the second run: from the cache
    results, summary, _ = run_all([Comment("1", "A", "ann.example")], luv, refresh=True)
    assert web.urls().count("http://ann.example/feed/") == 2
    assert results[0].outcome == "ok" and summary.sites_cached == 0
