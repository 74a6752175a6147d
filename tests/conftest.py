"""Shared fixtures: a real HTTP server on 127.0.0.1 with scripted routes and request counting."""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults

import pytest
from cache_support import RedisServer
from hypothesis import HealthCheck, settings

from commentluv import CommentLuvError, FetchError, MockResponse, MockTransport, Request

# Property tests: a bounded run by default (CI); HYPOTHESIS_PROFILE=fuzz for a long session.
settings.register_profile(
    "ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "fuzz", max_examples=50_000, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@dataclass
class Route:
    """What the server answers for one path."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    gzip: bool = False
    # Seconds to sleep between body chunks of ``drip`` bytes (a slow-drip server).
    drip_delay: float = 0.0
    drip: int = 1
    # Called with the request handler instead of the fields above.
    handler: Callable[[BaseHTTPRequestHandler], None] | None = None
    # Seconds to wait before answering (a slow or distant site).
    delay: float = 0.0


@dataclass
class Hit:
    path: str
    headers: dict[str, str]


class QuietServer(ThreadingHTTPServer):
    """A client that hangs up with a response unread resets the connection; a real server
    shrugs that off, and so does this one (socketserver would print a traceback)."""

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class LoopbackSite:
    """A scripted site on 127.0.0.1. ``routes`` maps a path (with query) to a Route."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[Hit] = []
        self.bytes_sent = 0
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms stall

            def do_GET(self) -> None:
                with site._lock:
                    site.hits.append(
                        Hit(self.path, {k.lower(): v for k, v in self.headers.items()})
                    )
                route = site.routes.get(self.path)
                if route is not None and route.delay:
                    time.sleep(route.delay)
                if route is None:
                    self._answer(Route(b"<html><body>not found</body></html>", status=404))
                elif route.handler is not None:
                    route.handler(self)
                else:
                    self._answer(route)

            def _answer(self, route: Route) -> None:
                body = gzip.compress(route.body) if route.gzip else route.body
                self.send_response(route.status)
                headers = {"Content-Type": "text/html; charset=utf-8", **route.headers}
                if route.gzip:
                    headers["Content-Encoding"] = "gzip"
                headers.setdefault("Content-Length", str(len(body)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                try:
                    if route.drip_delay:
                        for i in range(0, len(body), route.drip):
                            self.wfile.write(body[i : i + route.drip])
                            self.wfile.flush()
                            time.sleep(route.drip_delay)
                    else:
                        self.wfile.write(body)
                except OSError:
                    return  # the client hung up, as it may
                with site._lock:
                    site.bytes_sent += len(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def add(self, path: str, body: bytes | str = b"", **kwargs: object) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = Route(data, **kwargs)  # type: ignore[arg-type]

    def paths(self) -> list[str]:
        with self._lock:
            return [hit.path for hit in self.hits]


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


class Clock:
    """A wall clock the test sets: ``now``, in Unix seconds."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


class FakeWeb:
    """A scripted web behind a MockTransport, registered like ``responses``: ``get(url, ...)``
    sets (or replaces) what ``url`` answers; an unregistered URL fails to connect."""

    def __init__(self) -> None:
        self.routes: dict[str, MockResponse | CommentLuvError] = {}
        self.transport = MockTransport(self._answer)

    def get(
        self,
        url: str,
        body: bytes | str = b"",
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        content_type: str = "text/html; charset=utf-8",
        error: CommentLuvError | None = None,
    ) -> None:
        if error is not None:
            self.routes[url] = error
            return
        self.routes[url] = MockResponse(
            status=status, headers={"Content-Type": content_type, **(headers or {})}, body=body
        )

    @property
    def requests(self) -> list[Request]:
        return self.transport.requests

    def urls(self) -> list[str]:
        return [request.url for request in self.transport.requests]

    def _answer(self, request: Request) -> MockResponse:
        answer = self.routes.get(request.url)
        if answer is None:
            raise FetchError("the connection was refused", url=request.url)
        if isinstance(answer, CommentLuvError):
            raise answer
        return answer


@pytest.fixture
def web() -> FakeWeb:
    return FakeWeb()


class FakeBlog:
    """A blog on a FakeWeb: its home page links its feed, and :meth:`publish` sets the feed's
    posts (newest first), titled as given and linked at ``link(title)``."""

    def __init__(self, web: FakeWeb, site: str = "https://jaden.example/") -> None:
        self.web = web
        self.site = site
        web.get(
            site,
            f'<html><head><link rel="alternate" type="application/rss+xml" href="{site}feed/"></head></html>',
        )

    def link(self, title: str) -> str:
        return f"{self.site}2026/11/{title.lower().replace(' ', '-')}/"

    def publish(self, *titles: str) -> None:
        items = "".join(
            f"<item><title>{title}</title><link>{self.link(title)}</link>"
            f"<pubDate>{28 - i:02d} Nov 2026 10:00:00 +0000</pubDate></item>"
            for i, title in enumerate(titles)
        )
        self.web.get(
            f"{self.site}feed/",
            f'<rss version="2.0"><channel><title>Blog</title>{items}</channel></rss>',
            content_type="application/rss+xml",
        )


@pytest.fixture
def blog(web: FakeWeb) -> FakeBlog:
    """jaden.example with ten posts, "Post 9" (the newest) to "Post 0"."""
    fake = FakeBlog(web)
    fake.publish(*(f"Post {n}" for n in range(9, -1, -1)))
    return fake


@dataclass
class WSGIAnswer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


def call_wsgi(
    app: Callable[..., Iterable[bytes]],
    path: str = "/recent",
    query: dict[str, str] | str = "",
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    addr: str = "198.51.100.7",
) -> WSGIAnswer:
    """Call a WSGI app directly, as a server would for one request from ``addr``."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query if isinstance(query, str) else urlencode(query),
        "REMOTE_ADDR": addr,
    }
    setup_testing_defaults(environ)
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    started: list[Any] = []
    body = b"".join(
        app(environ, lambda status, headers, exc_info=None: started.extend([status, headers]))
    )
    status, header_list = started
    names = [name.lower() for name, _ in header_list]
    assert len(names) == len(set(names)), f"repeated headers: {header_list}"
    return WSGIAnswer(int(status.split()[0]), {k.lower(): v for k, v in header_list}, body)


@pytest.fixture
def wsgi() -> Callable[..., WSGIAnswer]:
    return call_wsgi


EXAMPLES = Path(__file__).parent.parent / "examples"


def load_example(name: str) -> ModuleType:
    """Import ``examples/<name>.py`` as when it is run as a script (its folder on sys.path)."""
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


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
