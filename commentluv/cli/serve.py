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
from pathlib import Path
from typing import Any, TextIO

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

__all__ = ["make_server", "run_serve"]

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
    add_lookup_options(parser)
    return parser


def make_server(
    app: CommentFormApp, *, host: str, port: int, threads: int
) -> tuple[Any, list[str]]:
    """A waitress server for ``app``, and the URLs it listens on. Connections from a client
    over its rate limit are left unread until it may ask again, so a flood costs this server
    nothing, not even parsing, and other clients' requests do not queue behind it."""
    import waitress
    from waitress.channel import HTTPChannel

    class Channel(HTTPChannel):  # type: ignore[misc]
        def readable(self) -> bool:
            return bool(super().readable()) and app.paused_for(self.addr[0]) <= 0

    sockets: dict[int, Any] = {}
    server = waitress.create_server(
        app, map=sockets, host=host, port=port, threads=threads, ident="commentluv"
    )
    urls = []
    for listener in sockets.values():
        if hasattr(listener, "channel_class"):  # a listening socket, not waitress's trigger
            listener.channel_class = Channel
            bound = listener.effective_host
            shown = f"[{bound}]" if ":" in bound else bound
            urls.append(f"http://{shown}:{listener.effective_port}/")
    return server, urls


def run_serve(argv: list[str], stdin: TextIO) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if importlib.util.find_spec("waitress") is None:
        parser.error("the service runs on waitress: pip install 'commentluv[web]'")
    try:
        secret = args.secret_file.read_bytes().strip()
    except OSError as exc:
        parser.error(f"cannot read the secret file {str(args.secret_file)!r}: {exc.strerror}")
    if len(secret) < MIN_SECRET_BYTES:
        parser.error(f"the secret file must hold at least {MIN_SECRET_BYTES} bytes")
    with logging_to_stderr(args.verbose):
        client, cache = build_client(args, choice_secret=secret)
        try:
            try:
                app = make_app(
                    client,
                    allowed_origins=args.allow_origin,
                    rate_limit=RateLimit(per_second=args.rate, burst=args.burst),
                    trusted_proxies=args.trusted_proxy,
                    max_cold_lookups=args.max_cold_lookups,
                )
            except ValueError as exc:
                parser.error(str(exc))
            threads = args.max_cold_lookups + _SPARE_THREADS
            try:
                server, urls = make_server(app, host=args.host, port=args.port, threads=threads)
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


def _reason(error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return "the address is already in use (another server? choose one with --port)"
    return error.strerror or str(error)
