"""Shared fixtures; what they are built from lives in tests/support/."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, settings

from tests.support.caches import RedisServer
from tests.support.examples import load_example
from tests.support.fakes import Clock, FakeBlog, FakeWeb
from tests.support.loopback import LoopbackSite
from tests.support.wsgi import WSGIAnswer, call_wsgi

# Property tests: a bounded run by default (CI); HYPOTHESIS_PROFILE=fuzz for a long session.
settings.register_profile(
    "ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "fuzz", max_examples=50_000, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def site() -> Iterator[LoopbackSite]:
    server = LoopbackSite()
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture
def doomed_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A server of the test's own: for tests that stop it, or share nothing with others."""
    server = RedisServer(tmp_path)
    yield server
    server.stop()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every hypothesis test ``property`` so a fuzz session can select them alone."""
    for item in items:
        if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
            item.add_marker(pytest.mark.property)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def web() -> FakeWeb:
    return FakeWeb()


@pytest.fixture
def blog(web: FakeWeb) -> FakeBlog:
    """jaden.example with ten posts, "Post 9" (the newest) to "Post 0"."""
    fake = FakeBlog(web)
    fake.publish(*(f"Post {n}" for n in range(9, -1, -1)))
    return fake


@pytest.fixture
def wsgi() -> Callable[..., WSGIAnswer]:
    return call_wsgi


@pytest.fixture(scope="session")
def sample_url() -> Iterator[str]:
    """The bundled sample blog (examples/sample-site) served on 127.0.0.1."""
    load_example("sample_site")
    from sample_site import serve_sample_site

    with serve_sample_site() as url:
        yield url


@pytest.fixture(scope="session")
def django_project(tmp_path_factory: pytest.TempPathFactory, sample_url: str) -> ModuleType:
    """Django configured once for the session: the example project (examples/django_blog.py,
    django-contrib-comments with the commentluv app) on a real SQLite file, migrated, with
    a cache alias whose Redis is down for the cache adapter's tests."""
    import socket

    from django.conf import settings

    project = load_example("django_blog")
    if not settings.configured:
        with socket.socket() as probe:  # a port nothing listens on: a Redis that is down
            probe.bind(("127.0.0.1", 0))
            dead_port = probe.getsockname()[1]
        database = tmp_path_factory.mktemp("django") / "db.sqlite3"
        project.configure(
            str(database),
            sample_url,
            CACHES={
                "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
                "down": {
                    "BACKEND": "django.core.cache.backends.redis.RedisCache",
                    "LOCATION": f"redis://127.0.0.1:{dead_port}/0",
                },
            },
        )
        project.migrate()
    return project
