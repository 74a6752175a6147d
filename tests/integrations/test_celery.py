"""commentluv.integrations.celery for real: a redis-server on 127.0.0.1 as broker and shared
cache, Celery worker processes (``celery -A tests.support.celery_app worker``), loopback sites. No eager
mode, no mocks: renders queue refreshes, workers fill the shared cache, a worker killed with
SIGKILL mid-batch loses nothing, beat re-warms the sites that are read."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from celery import Celery

from commentluv import CommentLuv
from commentluv.cache.redis import RedisCache
from commentluv.integrations.celery import Settings, register
from tests.support import ROOT
from tests.support.celery_app import CHUNK_SIZE, make_app


class Worker:
    """A ``celery worker`` process of its own, logging to a file, ready when it says so."""

    def __init__(
        self, name: str, redis: str, folder: Path, *, pool: str = "threads", beat: bool = False,
        posts_ttl: float = 3600, rewarm_every: float = 0,
    ) -> None:  # fmt: skip
        self.log = folder / f"{name}.log"
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tests.support.celery_app",
            "worker",
            f"--pool={pool}",
        ]
        command += [
            "--concurrency=2",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        command += ["--loglevel=INFO", f"--hostname={name}@%h", f"--logfile={self.log}"]
        if beat:
            command += ["--beat", f"--schedule={folder / 'beat-schedule'}"]
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
            "CLTEST_REDIS": redis,
            "CLTEST_POSTS_TTL": str(posts_ttl),
            "CLTEST_REWARM_EVERY": str(rewarm_every),
        }
        # A session of its own: the kill reaches its children too (--beat runs in one).
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        wait_for(lambda: self.log.exists() and " ready." in self.log.read_text(), 60, self.text)

    def text(self) -> str:
        return self.log.read_text() if self.log.exists() else "(no log)"

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


def wait_for(condition: Callable[[], object], seconds: float, why: Callable[[], str]) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting after {seconds}s:\n{why()[-3000:]}")
        time.sleep(0.05)


@pytest.fixture
def redis(doomed_redis) -> str:
    """``redis://127.0.0.1:<port>`` of a server of the test's own: no queue is shared."""
    return doomed_redis.url.rsplit("/", 1)[0]


@pytest.fixture
def workers(redis, tmp_path) -> Iterator[Callable[..., Worker]]:
    started: list[Worker] = []

    def start(name: str, **options: object) -> Worker:
        started.append(Worker(name, redis, tmp_path, **options))
        return started[-1]

    yield start
    for worker in started:
        worker.kill()


def blogs(site, count: int, *, delay: float = 0.0) -> list[str]:
    """``count`` blogs on the loopback server, each answering after ``delay`` seconds."""
    urls = []
    for number in range(count):
        path = f"/b{number}/"
        site.add(path, f"<link rel='alternate' type='application/rss+xml' href='{path}feed/'>",
                 delay=delay)  # fmt: skip
        feed = f"<rss version='2.0'><channel><item><title>Post of b{number}</title>"
        feed += f"<link>{site.url}{path}1</link></item></channel></rss>"
        site.add(f"{path}feed/", feed, headers={"Content-Type": "application/rss+xml"},
                 delay=delay)  # fmt: skip
        urls.append(f"{site.url}{path}")
    return urls


def reader(redis: str, **kwargs: object) -> CommentLuv:
    """A client on the shared cache (a web process), which never fetches here."""
    return CommentLuv(cache=RedisCache(f"{redis}/0"), allow_private_hosts=True, **kwargs)


def test_renders_queue_one_refresh_per_site_and_a_worker_fills_the_shared_cache(
    site, redis, workers
):
    urls = blogs(site, 4)
    _, tasks = make_app(redis)
    workers("one")
    # Two web processes, rendering every site over and over: nothing is fetched in them.
    web = [reader(redis, refresher=tasks.refresh_site.delay) for _ in range(2)]
    assert [luv.cached_latest(url) for luv in web for url in urls] == [None] * 8

    def rendered() -> bool:
        return all(luv.cached_latest(url) is not None for luv in web for url in urls)

    wait_for(rendered, 30, lambda: str(site.paths()))
    assert [web[0].cached_latest(url).title for url in urls] == [f"Post of b{n}" for n in range(4)]
    # One refresh per site (page and feed), however many renders and processes saw the miss.
    assert sorted(site.paths()) == sorted(p for n in range(4) for p in (f"/b{n}/", f"/b{n}/feed/"))
    for luv in web:
        luv.close()


def test_a_worker_killed_mid_batch_loses_nothing(site, redis, workers):
    urls = blogs(site, 4 * CHUNK_SIZE, delay=0.25)
    app, tasks = make_app(redis)
    first = workers("first", pool="solo")
    tasks.warm_sites.delay(urls)
    wait_for(lambda: site.paths(), 30, first.text)  # its first chunk is being fetched
    first.kill()
    luv = reader(redis)
    cut_short = [url for url in urls if luv.cached_latest(url) is None]
    assert len(cut_short) == len(urls)  # killed before any site of the chunk was cached
    workers("second")
    wait_for(lambda: all(luv.cached_latest(url) for url in urls), 60, lambda: str(site.paths()))
    # The killed chunk ran again (its sites fetched twice), and no message is left behind.
    assert max(site.paths().count(f"/b{n}/") for n in range(len(urls))) == 2
    with app.connection_for_read() as connection:
        broker = connection.default_channel.client
        assert broker.hlen("unacked") == 0 and broker.llen("celery") == 0
    luv.close()


def test_beat_rewarms_the_sites_that_are_read_before_they_go_stale(site, redis, workers):
    read_often, read_once, unread = blogs(site, 3)
    _, tasks = make_app(redis)
    # Posts fresh for 4 s, re-warmed within 3 s of going stale: a second after each refresh.
    workers("beat", beat=True, posts_ttl=4, rewarm_every=0.5)
    tasks.warm_sites.delay([read_often, read_once, unread])
    plain = reader(redis)  # reads nothing counts: no refresher
    wait_for(lambda: all(plain.cached_latest(u) for u in (read_often, read_once, unread)), 30, str)
    luv = reader(redis, refresher=tasks.refresh_site.delay)
    for _ in range(5):
        luv.cached_latest(read_often)
    luv.cached_latest(read_once)
    luv.close()  # the reads are flushed to the index

    def feed_fetches(url: str) -> int:
        return site.paths().count(url.removeprefix(site.url) + "feed/")

    wait_for(lambda: feed_fetches(read_often) == feed_fetches(read_once) == 2, 30,
             lambda: str(site.paths()))  # fmt: skip
    time.sleep(2)  # four more beat runs: nothing was read since, so nothing re-warmed
    assert (feed_fetches(read_often), feed_fetches(read_once), feed_fetches(unread)) == (2, 2, 1)
    plain.close()


def test_register_makes_the_tasks_reliable_and_schedules_rewarm():
    app = Celery("settings_test", broker="redis://127.0.0.1:9/0")  # never connected
    tasks = register(app, CommentLuv)
    for task in (tasks.refresh_site, tasks.refresh_sites, tasks.warm_sites, tasks.rewarm):
        assert task.acks_late and task.reject_on_worker_lost and task.ignore_result
        assert task.name.startswith("commentluv.")
    assert app.conf.broker_transport_options == {"visibility_timeout": 600}
    entry = app.conf.beat_schedule["commentluv.rewarm"]
    assert entry["task"] == "commentluv.rewarm" and entry["schedule"] == 60
    assert entry["options"] == {"expires": 60}


def test_register_keeps_the_apps_own_visibility_timeout_and_can_skip_beat():
    class Config:
        broker_transport_options = {"visibility_timeout": 30, "region": "x"}

    app = Celery("settings_test_2")
    register(app, CommentLuv, Settings(rewarm_every=0))
    app.config_from_object(Config)
    assert app.conf.broker_transport_options == {"visibility_timeout": 30, "region": "x"}
    assert "commentluv.rewarm" not in app.conf.beat_schedule
    with pytest.raises(ValueError, match="chunk_size"):
        Settings(chunk_size=0)
