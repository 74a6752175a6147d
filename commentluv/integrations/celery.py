"""Celery tasks that keep a shared cache fresh from a pool of workers (``commentluv[celery]``).

On your own Celery app, with the client your workers should use::

    app = Celery("blog", broker="redis://cache.internal:6379/1")
    tasks = register(app, lambda: CommentLuv(cache=RedisCache("redis://cache.internal:6379/0")))

Web processes then render from the shared cache and never fetch: a miss or a stale entry
read by :meth:`~commentluv.CommentLuv.cached_latest` is queued to ``refresh_site``, once per site
at a time::

    luv = CommentLuv(cache=RedisCache("redis://cache.internal:6379/0"),
                     refresher=tasks.refresh_site.delay)

and ``celery -A blog beat`` runs ``rewarm``: the sites whose posts go stale soon that were
read since their last refresh, most read first, are refreshed before they go stale.

Every task is idempotent (it fetches and caches; running it twice caches the same), is
acknowledged only once it has run (``acks_late``), and goes back to the queue when its worker
dies (``reject_on_worker_lost``; with a Redis broker, after the visibility timeout, which
:func:`register` sets unless the app sets one).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from celery import Celery, Task

from ..web.metrics import refresh_counters

if TYPE_CHECKING:
    from ..client import CommentLuv
    from ..errors import CommentLuvError

__all__ = ["Settings", "Tasks", "register"]

logger = logging.getLogger("commentluv")

# Run once they are done, requeued when their worker dies; results are not kept.
_RELIABLE: dict[str, Any] = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "ignore_result": True,
}


@dataclass(frozen=True)
class Settings:
    """How the tasks split and schedule work.

    ``chunk_size``: sites per ``refresh_sites`` task (``warm_sites`` and ``rewarm`` fan out in
    chunks; a worker refreshes a chunk concurrently, on its client's ``max_workers`` threads).
    ``rewarm_every``: seconds between beat's ``rewarm`` runs (0: no periodic task); a run not
    started within that time expires. ``rewarm_within``: sites whose posts stop being fresh
    within this many seconds are re-warmed; ``rewarm_limit``: at most this many per run.
    ``visibility_timeout``: with a Redis broker, seconds after which a task its worker did not
    acknowledge (it died) goes to another worker; longer than a chunk can take.
    """

    chunk_size: int = 50
    rewarm_every: float = 60.0
    rewarm_within: float = 300.0
    rewarm_limit: int = 10_000
    visibility_timeout: float = 600.0

    def __post_init__(self) -> None:
        if self.chunk_size < 1 or self.rewarm_limit < 1:
            raise ValueError("chunk_size and rewarm_limit must be at least 1")
        if min(self.rewarm_every, self.rewarm_within) < 0 or self.visibility_timeout <= 0:
            raise ValueError(
                "rewarm_every and rewarm_within must be zero or more, visibility_timeout positive"
            )


@dataclass(frozen=True)
class Tasks:
    """The registered Celery tasks (``tasks.refresh_site.delay(url)``, ...).

    ``refresh_site(url)`` fetches one site now ("ok" or the error's kind);
    ``refresh_sites(urls)`` fetches a chunk concurrently (``{"ok": n, "failed": m}``);
    ``warm_sites(urls)`` queues ``refresh_sites`` in chunks (the number of chunks);
    ``rewarm()`` claims the due sites and queues them in chunks (the number of chunks).
    """

    refresh_site: Task
    refresh_sites: Task
    warm_sites: Task
    rewarm: Task


def register(
    app: Celery,
    client_factory: Callable[[], CommentLuv],
    settings: Settings | None = None,
    *,
    metrics: bool = False,
) -> Tasks:
    """Register the tasks, named ``commentluv.<task>``, on ``app``, and ``rewarm`` in its beat
    schedule. ``client_factory`` builds the client a worker process fetches with, once, on
    its first task (after a prefork worker's fork); its cache must be the web's shared one.
    ``metrics`` counts the refreshes done and failed (by kind) on prometheus-client's default
    registry (``commentluv[metrics]``), which a worker serves with its ``start_http_server``.
    """
    settings = settings or Settings()
    clients = _Clients(client_factory)
    count = refresh_counters().count if metrics else _count_nothing

    def refresh_site(url: str) -> str:
        error = clients.get().lookup(url, refresh=True).error
        count(error)
        return "ok" if error is None else error.kind

    def refresh_sites(urls: list[str]) -> dict[str, int]:
        results = clients.get().warm(urls).values()
        for result in results:
            count(result.error)
        failed = sum(result.error is not None for result in results)
        return {"ok": len(results) - failed, "failed": failed}

    def fan_out(urls: Sequence[str]) -> int:
        size = settings.chunk_size
        for start in range(0, len(urls), size):
            tasks.refresh_sites.delay(list(urls[start : start + size]))
        return -(-len(urls) // size)

    def warm_sites(urls: list[str]) -> int:
        return fan_out(urls)

    def rewarm() -> int:
        due = clients.get().claim_due_refreshes(settings.rewarm_within, limit=settings.rewarm_limit)
        logger.info("rewarm: %d sites due within %gs", len(due), settings.rewarm_within)
        return fan_out(due)

    def task(function: Callable[..., Any]) -> Task:
        return app.task(name=f"commentluv.{function.__name__}", **_RELIABLE)(function)

    tasks = Tasks(task(refresh_site), task(refresh_sites), task(warm_sites), task(rewarm))
    if settings.rewarm_every:
        # Expiring: when no worker takes it in time, the next run does the work instead.
        app.add_periodic_task(
            settings.rewarm_every,
            app.signature("commentluv.rewarm"),
            name="commentluv.rewarm",
            expires=settings.rewarm_every,
        )
    _default_visibility_timeout(app, settings.visibility_timeout)
    return tasks


def _count_nothing(error: CommentLuvError | None) -> None:
    pass


class _Clients:
    """One client per worker process, built on first use: never inherited through a fork
    (its connection pools and threads belong to the process that built it)."""

    def __init__(self, factory: Callable[[], CommentLuv]) -> None:
        self._factory = factory
        self._client: CommentLuv | None = None
        self._pid = 0
        self._lock = threading.Lock()

    def get(self) -> CommentLuv:
        with self._lock:
            if self._client is None or self._pid != os.getpid():
                self._client, self._pid = self._factory(), os.getpid()
                # Its writes end the sites' queued-refresh claims and file them in the index.
                self._client.join_refresh_queue()
            return self._client


def _default_visibility_timeout(app: Celery, seconds: float) -> None:
    """Set the Redis broker's visibility timeout (kombu's default is an hour) unless the
    app's configuration has one, once that configuration is read."""

    def apply(**_: object) -> None:
        options = dict(app.conf.broker_transport_options or {})
        options.setdefault("visibility_timeout", seconds)
        app.conf.broker_transport_options = options

    if app.configured:
        apply()
    else:
        app.on_after_configure.connect(apply, weak=False)
