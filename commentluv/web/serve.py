"""``commentluv serve``: the comment-form service (and the widget's files) on waitress.

    commentluv serve --secret-file luv.secret --allow-origin https://blog.example

The secret file holds the secret the blog's comment-save handler also gives its client
(``CommentLuv(choice_secret=...)``); make one with ``head -c 32 /dev/urandom > luv.secret``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from .._choice import MIN_SECRET_BYTES
from ..cli import (
    EXIT_OK,
    add_lookup_options,
    build_client,
    close_cache,
    logging_to_stderr,
    positive_float,
    positive_int,
)
from .app import DEFAULT_RATE_LIMIT, make_app
from .limits import RateLimit

__all__ = ["run_serve"]

# Threads beyond the cold-lookup slots: cached answers always find one free.
_SPARE_THREADS = 4


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="commentluv serve",
        description="Serve the comment form's widget and its JSON service (/recent, /backlink).",
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
        help=f"requests per second per client (default {DEFAULT_RATE_LIMIT.per_second:g})",
    )
    parser.add_argument(
        "--burst",
        type=positive_int,
        default=DEFAULT_RATE_LIMIT.burst,
        help=f"requests a client may make at once (default {DEFAULT_RATE_LIMIT.burst})",
    )
    parser.add_argument(
        "--max-cold-lookups",
        type=positive_int,
        default=4,
        metavar="N",
        help="lookups of uncached sites at once; more answer 503 (default 4)",
    )
    add_lookup_options(parser)
    return parser


def run_serve(argv: list[str], stdin: TextIO) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        import waitress
    except ImportError:
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
            server = waitress.create_server(
                app,
                host=args.host,
                port=args.port,
                threads=args.max_cold_lookups + _SPARE_THREADS,
                ident="commentluv",
            )
            host = f"[{args.host}]" if ":" in args.host else args.host
            print(
                f"commentluv: serving http://{host}:{server.effective_port}/"
                " (the widget: /commentluv.js)",
                file=sys.stderr,
                flush=True,
            )
            try:
                server.run()
            except KeyboardInterrupt:
                pass
            finally:
                server.close()
        finally:
            client.close()
            close_cache(cache)
    return EXIT_OK
