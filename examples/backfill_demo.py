"""Offline demo of ``commentluv backfill``: serve the bundled sample blog on 127.0.0.1, put its
URL into a temporary copy of a sample input (where it says ``{{SAMPLE_SITE}}``) and backfill it.

python examples/backfill_demo.py examples/backfill/comments.wxr [commentluv backfill options]
python examples/backfill_demo.py examples/backfill/comments.csv --as-of comment-date
python examples/backfill_demo.py examples/backfill/comments.atom --as-of comment-date
python examples/backfill_demo.py examples/backfill/comments-movabletype.txt -o links.csv
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from sample_site import serve_sample_site

from commentluv.cli import main

PLACEHOLDER = "{{SAMPLE_SITE}}"


def run(input_path: str, extra_args: list[str]) -> int:
    source = Path(input_path)
    with serve_sample_site() as url, tempfile.TemporaryDirectory() as folder:
        print(f"Sample blog served at {url}", file=sys.stderr)
        copy = Path(folder) / source.name
        text = source.read_text(encoding="utf-8")
        copy.write_text(text.replace(PLACEHOLDER, url), encoding="utf-8")
        # The port changes every run: no cache, and the progress file goes with the folder.
        return main(
            [
                "backfill",
                str(copy),
                "--allow-private-hosts",
                "--no-cache",
                "--state",
                str(Path(folder) / "state.sqlite3"),
                "--timeout",
                "5",
                *extra_args,
            ]
        )


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(run(sys.argv[1], sys.argv[2:]))
