"""Offline demo: serve the bundled sample blog on 127.0.0.1 and look it up with the CLI.

python examples/demo.py [extra commentluv options, e.g. --json or --recent 3]
"""

from __future__ import annotations

import sys

from sample_site import serve_sample_site

from commentluv.cli import main


def run(extra_args: list[str]) -> int:
    with serve_sample_site() as url:
        print(f"Sample blog served at {url}", file=sys.stderr)
        # Its port changes every run, so caching its lookups between runs would only leave
        # litter: --no-cache.
        return main(
            ["--allow-private-hosts", "--no-cache", "--name", "Jaden Daniels", *extra_args, url]
        )


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
