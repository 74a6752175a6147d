"""Offline demo: serve the bundled sample blog on 127.0.0.1 and look it up with the CLI.

python examples/demo.py [extra commentluv options, e.g. --json or --recent 3]
"""

from __future__ import annotations

import functools
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from commentluv.cli import main

SAMPLE_SITE = Path(__file__).parent / "sample-site"


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def run(extra_args: list[str]) -> int:
    handler = functools.partial(QuietHandler, directory=str(SAMPLE_SITE))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        print(f"Sample blog served at {url}", file=sys.stderr)
        # The sample site is on loopback, which commentluv refuses unless told otherwise; its
        # port changes every run, so caching its lookups between runs would only leave litter.
        status = main(
            ["--allow-private-hosts", "--no-cache", "--name", "Jaden Daniels", *extra_args, url]
        )
        server.shutdown()
    return status


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
