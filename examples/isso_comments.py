"""An Isso comment server whose new comments end with their author's latest post (or the
one they chose in the widget).

    python examples/isso_comments.py            # a blog page with Isso's own embed and the
                                                # widget on http://127.0.0.1:8080/
    python examples/isso_comments.py --check    # post two comments through Isso, print them

``commentluv.integrations.isso.attach`` subscribes to Isso's ``comments.new:before-save``
and appends the backlink, in Markdown, to the comment's text. On the served page, Isso's
``embed.min.js`` draws the comment form and the widget attaches to its website field; the
post a commenter chooses reaches Isso through the service (POST /luv/choose) and the cache
both share. Offline: the commenter's site is the bundled sample blog on 127.0.0.1, and
Isso's database is a temporary file.
"""

from __future__ import annotations

import json
import secrets
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from sample_site import example_arguments, serve_sample_site
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server
from werkzeug.test import Client
from werkzeug.wrappers import Response

from commentluv import CommentLuv
from commentluv.integrations.isso import attach
from commentluv.web import make_app

CONFIG = """[general]
dbpath = {dbpath}
host = {host}
[moderation]
enabled = false
[guard]
enabled = false
reply-to-self = true
"""


def make_isso(folder: str, host: str, client: CommentLuv, **options: Any) -> Any:
    """Isso, configured for ``host`` with its database in ``folder``, with the backlinks."""
    from isso import config, make_app

    user_file = Path(folder) / "isso.cfg"
    user_file.write_text(CONFIG.format(dbpath=Path(folder) / "comments.db", host=host))
    application = make_app(config.load(config.default_file(), str(user_file)))
    attach(application, client, **options)
    return application


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Starting over, one habit at a time</title>
<link rel="stylesheet" href="/luv/commentluv.css"></head>
<body><main>
<h1>Starting over, one habit at a time</h1>
<p>Small changes, kept for a long time, beat big ones kept for a week.</p>
<section id="isso-thread" aria-label="Comments"></section>
</main>
<script data-isso="/isso/" src="/isso/js/embed.min.js"></script>
<script src="/luv/commentluv.js" data-endpoint="/luv" data-url-field="website"
        data-name-field="author" defer></script>
</body></html>
"""


@contextmanager
def serve_isso_blog(port: int = 0) -> Iterator[tuple[str, str, str]]:
    """A blog page on 127.0.0.1 with Isso (at /isso/) and the comment-form service (at
    /luv/); yields (page URL, sample blog URL, Isso's folder)."""
    with (
        tempfile.TemporaryDirectory() as folder,
        serve_sample_site() as sample_url,
        # The widget's service and Isso share this client, so its cache and its secret.
        CommentLuv(
            timeout=2.5, allow_private_hosts=True, choice_secret=secrets.token_bytes(32)
        ) as luv,
    ):
        page = Response(PAGE, content_type="text/html; charset=utf-8")
        mounts: dict[str, Any] = {"/luv": make_app(luv)}
        server = make_server("127.0.0.1", port, DispatcherMiddleware(page, mounts), threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        blog_url = f"http://127.0.0.1:{server.port}/"
        try:
            # Isso asks its configured website for a HEAD at start: the page is up by now.
            mounts["/isso"] = make_isso(folder, blog_url, luv)
            yield blog_url, sample_url, folder
        finally:
            server.shutdown()


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
    with serve_isso_blog(args.port) as (blog_url, sample_url, _):
        print(f"The blog: {blog_url}  (as your website, type the sample blog: {sample_url})")
        with suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
