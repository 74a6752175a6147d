"""The bundled sample blog (``examples/sample-site/``), served on 127.0.0.1 for the examples.

    with serve_sample_site() as url:
        ...  # a WordPress-like blog with its feed linked in <head>

It is on loopback, which commentluv refuses unless the client allows private hosts
(``allow_private_hosts=True`` / ``--allow-private-hosts``): only the examples do that.
"""

from __future__ import annotations

import argparse
import functools
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SAMPLE_SITE = Path(__file__).parent / "sample-site"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve_sample_site(port: int = 0) -> Iterator[str]:
    """Serve the sample blog on 127.0.0.1 (any free port by default); yields its URL."""
    handler = functools.partial(_QuietHandler, directory=str(SAMPLE_SITE))
    with ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/"
        finally:
            server.shutdown()


def example_arguments(
    argv: list[str], doc: str, *, check: str, port: int | None = None, level: int = logging.INFO
) -> argparse.Namespace:
    """An example's command line: ``--check`` (with ``check`` as its help) and, when the
    example serves, ``--port``; logging to stderr at ``level``, where the examples say why
    a comment has no backlink."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help=check)
    if port is not None:
        parser.add_argument("--port", type=int, default=port)
    args = parser.parse_args(argv)
    logging.basicConfig(level=level, format="%(name)s: %(levelname)s: %(message)s")
    return args
