"""An Isso comment server whose new comments end with their author's latest post.

    python examples/isso_comments.py            # serve Isso on http://127.0.0.1:8080/
    python examples/isso_comments.py --check    # post two comments through Isso, print them

``commentluv.integrations.isso.attach`` subscribes to Isso's ``comments.new:before-save``
and appends the backlink, in Markdown, to the comment's text. Offline: Isso's configured
website and the commenter's site are the bundled sample blog on 127.0.0.1, and Isso's
database is a temporary file.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from sample_site import example_arguments, serve_sample_site
from werkzeug.test import Client

from commentluv import CommentLuv
from commentluv.integrations.isso import attach

CONFIG = """[general]
dbpath = {dbpath}
host = {host}
[moderation]
enabled = false
[guard]
enabled = false
"""


def make_isso(folder: str, host: str, client: CommentLuv, **options: Any) -> Any:
    """Isso, configured for ``host`` with its database in ``folder``, with the backlinks."""
    from isso import config, make_app

    user_file = Path(folder) / "isso.cfg"
    user_file.write_text(CONFIG.format(dbpath=Path(folder) / "comments.db", host=host))
    application = make_app(config.load(config.default_file(), str(user_file)))
    attach(application, client, **options)
    return application


def post_comment(application: Any, host: str, **fields: str) -> Any:
    """POST /new for the thread /post/, as Isso's client script does; the answer."""
    return Client(application).post(
        "/new?uri=%2Fpost%2F",
        data=json.dumps({"title": "A post", **fields}),
        headers={"Content-Type": "application/json", "Origin": host.rstrip("/")},
    )


def check() -> str:
    with (
        tempfile.TemporaryDirectory() as folder,
        serve_sample_site() as sample_url,
        # The sample blog is on loopback: only a demo may allow private hosts.
        CommentLuv(timeout=2.5, allow_private_hosts=True) as luv,
    ):
        isso = make_isso(folder, sample_url, luv)
        post_comment(isso, sample_url, author="Jaden Daniels", website=sample_url, text="Hi!")
        post_comment(isso, sample_url, author="Anon", website="127.0.0.1:9", text="Hello")
        shown = Client(isso).get("/?uri=%2Fpost%2F").get_json()
        return "\n".join(f"{c['author']}: {c['text']}" for c in shown["replies"])


def main(argv: list[str]) -> int:
    args = example_arguments(argv, __doc__, check="post two comments and exit", port=8080)
    if args.check:
        print(check())
        return 0
    from werkzeug.serving import run_simple

    with (
        tempfile.TemporaryDirectory() as folder,
        serve_sample_site() as sample_url,
        CommentLuv(timeout=2.5, allow_private_hosts=True) as luv,
    ):
        print(f"Isso on http://127.0.0.1:{args.port}/ for the sample blog at {sample_url}")
        run_simple("127.0.0.1", args.port, make_isso(folder, sample_url, luv))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
