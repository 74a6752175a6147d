"""``commentluv serve``: the comment-form service (and the widget's files) on waitress.

    commentluv serve --secret-file luv.secret --allow-origin https://blog.example

The secret file holds the secret the blog's comment-save handler also gives its client
(``CommentLuv(choice_secret=...)``); make one with ``head -c 32 /dev/urandom > luv.secret``.
"""

from __future__ import annotations

import argparse
import errno
import importlib.util
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from ..cache import Cache
from ..formatting import STYLES
from ..tokens import MIN_SECRET_BYTES
from ..web.app import DEFAULT_RATE_LIMIT, CommentFormApp, make_app
from ..web.ratelimit import RateLimit
from .options import (
    EXIT_OK,
    EXIT_USAGE,
    add_lookup_options,
    build_client,
    close_cache,
    logging_to_stderr,
    positive_float,
    positive_int,
)

__all__ = ["DEFAULT_CONNECTION_LIMITS", "ConnectionLimits", "make_server", "run_serve"]

# Threads beyond the cold-lookup slots: cached answers always find one free.
_SPARE_THREADS = 4


class _DefaultsShown(argparse.HelpFormatter):
    """Each option's help ends with its default, when it has one worth showing."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        help_text = action.help or ""
        if action.default in (None, False, [], argparse.SUPPRESS) or "default" in help_text:
            return help_text
        return help_text + " (default: %(default)s)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="commentluv serve",
        description="Serve the comment form's widget and its JSON service (/recent, /backlink).",
        formatter_class=_DefaultsShown,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8080, help="port (0: any free port)")
    parser.add_argument(
        "--secret-file",
        type=Path,
        required=True,
        metavar="PATH",
        help=f"the secret that signs choice tokens ({MIN_SECRET_BYTES} bytes or more)",
    )
    parser.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="a site whose pages may call the service (https://blog.example, or *); repeatable",
    )
    parser.add_argument(
        "--trusted-proxy",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="a reverse proxy (address or network) whose X-Forwarded-For is believed; repeatable",
    )
    parser.add_argument(
        "--rate",
        type=positive_float,
        default=DEFAULT_RATE_LIMIT.per_second,
        metavar="PER_SECOND",
        help="requests per second per client",
    )
    parser.add_argument(
        "--burst",
        type=positive_int,
        default=DEFAULT_RATE_LIMIT.burst,
        help="requests a client may make at once",
    )
    parser.add_argument(
        "--max-cold-lookups",
        type=positive_int,
        default=4,
        metavar="N",
        help="lookups of uncached sites at once, half of them at most for one client;"
        " more answer 503",
    )
    parser.add_argument(
        "--redis",
        metavar="URL",
        help="a Redis cache (redis://host:6379/0) instead of the SQLite file: shared by every"
        " serve process, and so are the rate limits (pip install 'commentluv[redis]')",
    )
    parser.add_argument(
        "--style",
        default="card",
        help=f"the blog's backlink style for the widget's live line: {', '.join(STYLES)} or a"
        " template with {name} {title} {link} {site}",
    )
    parser.add_argument(
        "--metrics",
        action="store_true",
        help="serve Prometheus metrics at /metrics (pip install 'commentluv[metrics]')",
    )
    parser.add_argument(
        "--max-connections",
        type=positive_int,
        default=DEFAULT_CONNECTION_LIMITS.total,
        metavar="N",
        help="connections held open at once",
    )
    parser.add_argument(
        "--max-connections-per-client",
        type=positive_int,
        default=DEFAULT_CONNECTION_LIMITS.per_client,
        metavar="N",
        help="connections from one address (a trusted proxy: no cap); the newest beyond close",
    )
    parser.add_argument(
        "--head-timeout",
        type=positive_float,
        default=DEFAULT_CONNECTION_LIMITS.head_timeout,
        metavar="SECONDS",
        help="time a connection has to send a whole request head",
    )
    add_lookup_options(parser)
    return parser


@dataclass(frozen=True)
class ConnectionLimits:
    """How many connections the server holds, and for how long one may take to ask.

    A waiting connection costs a socket and a little memory, not a thread (threads serve
    only whole requests), so ``total`` is far above the threads; what keeps one address from
    taking them all is ``per_client`` (a trusted proxy is not capped: it speaks for many).
    A request head must arrive whole within ``head_timeout`` seconds of the connection
    opening or of its last answer, or the connection is closed: a client that trickles a
    head, or parks a connection, does not hold it long."""

    total: int = 1000
    per_client: int = 20
    head_timeout: float = 10.0


DEFAULT_CONNECTION_LIMITS = ConnectionLimits()


def make_server(
    app: CommentFormApp,
    *,
    host: str,
    port: int,
    threads: int,
    limits: ConnectionLimits = DEFAULT_CONNECTION_LIMITS,
) -> tuple[Any, list[str]]:
    """A waitress server for ``app``, and the URLs it listens on. Connections from a client
    over its rate limit are left unread until it may ask again, so a flood costs this server
    nothing, not even parsing, and other clients' requests do not queue behind it. One
    address holds at most ``limits.per_client`` connections (the newest beyond are closed at
    once), and a head that is slow to come is cut off."""
    import waitress

    channel_class = _guarded_channel_class(app, limits)
    sockets: dict[int, Any] = {}
    server = waitress.create_server(
        app,
        map=sockets,
        host=host,
        port=port,
        threads=threads,
        ident="commentluv",
        connection_limit=limits.total,
        # select() cannot watch a socket numbered above 1023; poll() can.
        asyncore_use_poll=True,
    )
    urls = []
    for listener in sockets.values():
        if hasattr(listener, "channel_class"):  # a listening socket, not waitress's trigger
            listener.channel_class = channel_class
            bound = listener.effective_host
            shown = f"[{bound}]" if ":" in bound else bound
            urls.append(f"http://{shown}:{listener.effective_port}/")
    return server, urls


def _guarded_channel_class(app: CommentFormApp, limits: ConnectionLimits) -> type:
    """waitress's connection, counted by client (the newest beyond the cap is closed), cut
    off when its head is slow, and left unread while its client is over its rate limit."""
    from waitress.channel import HTTPChannel

    open_by_client = _OpenConnections(limits.per_client)

    class Channel(HTTPChannel):  # type: ignore[misc]
        _client: str | None = None

        def __init__(self, server: Any, sock: Any, addr: Any, adj: Any, map: Any = None) -> None:
            super().__init__(server, sock, addr, adj, map)
            self._head_due = time.monotonic() + limits.head_timeout
            self._client = app.peer_key(self.addr[0])
            if not open_by_client.opened(self._client):
                self.close()

        def del_channel(self, map: Any = None) -> None:
            super().del_channel(map)
            open_by_client.closed(self._client)
            self._client = None  # counted once, however often waitress calls this

        def received(self, data: bytes) -> bool:
            done = super().received(data)
            if self.request is None:  # no head left half-sent: the next one's clock starts
                self._head_due = time.monotonic() + limits.head_timeout
            return bool(done)

        def readable(self) -> bool:
            # Asked on every turn of the server's loop (at least once a second).
            now = time.monotonic()
            if self.requests:  # being answered: the next head's clock starts afterwards
                self._head_due = now + limits.head_timeout
            elif now > self._head_due:
                self.close_when_flushed = True
                return False
            return bool(super().readable()) and app.paused_for(self.addr[0]) <= 0

    return Channel


class _OpenConnections:
    """Open connections by client key; None (a trusted proxy) is not counted."""

    def __init__(self, per_client: int) -> None:
        self._per_client = per_client
        self._open: Counter[str] = Counter()
        self._lock = threading.Lock()

    def opened(self, client: str | None) -> bool:
        """Count a new connection: whether it is within its client's cap (else close it;
        it stays counted until closed)."""
        if client is None:
            return True
        with self._lock:
            self._open[client] += 1
            return self._open[client] <= self._per_client

    def closed(self, client: str | None) -> None:
        if client is None:
            return
        with self._lock:
            self._open[client] -= 1
            if not self._open[client]:
                del self._open[client]


def run_serve(argv: list[str], stdin: TextIO) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if importlib.util.find_spec("waitress") is None:
        parser.error("the service runs on waitress: pip install 'commentluv[web]'")
    if args.metrics and importlib.util.find_spec("prometheus_client") is None:
        parser.error("--metrics needs prometheus-client: pip install 'commentluv[metrics]'")
    if args.redis and (args.cache or args.no_cache):
        parser.error("--redis is the cache: leave out --cache and --no-cache")
    if args.redis and importlib.util.find_spec("redis") is None:
        parser.error("--redis needs the redis package: pip install 'commentluv[redis]'")
    try:
        secret = args.secret_file.read_bytes().strip()
    except OSError as exc:
        parser.error(f"cannot read the secret file {str(args.secret_file)!r}: {exc.strerror}")
    if len(secret) < MIN_SECRET_BYTES:
        parser.error(f"the secret file must hold at least {MIN_SECRET_BYTES} bytes")
    with logging_to_stderr(args.verbose):
        client, cache = build_client(args, _redis_cache(args.redis), choice_secret=secret)
        try:
            try:
                app = make_app(
                    client,
                    allowed_origins=args.allow_origin,
                    rate_limit=RateLimit(per_second=args.rate, burst=args.burst),
                    trusted_proxies=args.trusted_proxy,
                    max_cold_lookups=args.max_cold_lookups,
                    style=args.style,
                    metrics=args.metrics,
                )
            except ValueError as exc:
                parser.error(str(exc))
            threads = args.max_cold_lookups + _SPARE_THREADS
            try:
                limits = ConnectionLimits(
                    args.max_connections, args.max_connections_per_client, args.head_timeout
                )
                server, urls = make_server(
                    app, host=args.host, port=args.port, threads=threads, limits=limits
                )
            except OSError as exc:
                where = f"{args.host}:{args.port}"
                print(
                    f"commentluv serve: cannot listen on {where}: {_reason(exc)}", file=sys.stderr
                )
                return EXIT_USAGE
            for url in urls:
                print(
                    f"commentluv: serving {url} (the widget: {url}commentluv.js)", file=sys.stderr
                )
            sys.stderr.flush()
            server.run()  # until interrupted
        finally:
            client.close()
            close_cache(cache)
    return EXIT_OK


def _redis_cache(url: str | None) -> Cache | None:
    if url is None:
        return None
    from ..cache.redis import RedisCache

    return RedisCache(url)


def _reason(error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return "the address is already in use (another server? choose one with --port)"
    return error.strerror or str(error)
