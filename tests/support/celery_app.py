"""The Celery app of test_celery.py: real worker processes run it (``celery -A tests.support.celery_app
worker``, configured from the environment) and the tests queue tasks through their own
copy (:func:`make_app`). Broker and shared cache are one test redis-server: database 1 is
the broker, database 0 the cache."""

from __future__ import annotations

import os

from celery import Celery

from commentluv import CommentLuv
from commentluv.cache.redis import RedisCache
from commentluv.integrations.celery import Settings, Tasks, register

CHUNK_SIZE = 3
# Short, so that a killed worker's task is taken over within seconds (defaults: 600 s).
VISIBILITY_TIMEOUT = 3


def make_app(
    redis: str, *, posts_ttl: float = 3600, rewarm_every: float = 0
) -> tuple[Celery, Tasks]:
    """The app and its tasks, for the redis-server at ``redis`` (``redis://host:port``)."""
    app = Celery("commentluv_tests", broker=f"{redis}/1")
    app.conf.update(
        # One task reserved per worker thread: the rest stay in Redis for the other worker.
        worker_prefetch_multiplier=1,
        broker_transport_options={
            "visibility_timeout": VISIBILITY_TIMEOUT,
            # kombu looks for abandoned tasks every 10 x 10 s by default.
            "unacked_restore_interval": 1,
            "unacked_restore_throttle": 1,
        },
        broker_connection_retry_on_startup=True,
    )

    def client() -> CommentLuv:
        return CommentLuv(
            cache=RedisCache(f"{redis}/0"), allow_private_hosts=True, posts_ttl=posts_ttl
        )

    settings = Settings(
        chunk_size=CHUNK_SIZE, rewarm_every=rewarm_every, rewarm_within=posts_ttl * 0.75
    )
    return app, register(app, client, settings)


if "CLTEST_REDIS" in os.environ:  # a worker process
    app, tasks = make_app(
        os.environ["CLTEST_REDIS"],
        posts_ttl=float(os.environ["CLTEST_POSTS_TTL"]),
        rewarm_every=float(os.environ["CLTEST_REWARM_EVERY"]),
    )
