"""A real HTTP server on 127.0.0.1 with scripted routes and request counting."""

from __future__ import annotations

import gzip
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


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
