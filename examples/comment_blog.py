"""A small blog whose comment form has the live "choose your post" widget.

    python examples/comment_blog.py            # serve it on http://127.0.0.1:8000/
    python examples/comment_blog.py --check    # post three comments without a browser, print

One post page with its comments and a comment form. The form's script tag loads the widget
from the comment-form service, mounted at /luv in this same app; as a commenter's site, type
the bundled sample blog's URL (printed at start, on 127.0.0.1). Comments are kept in SQLite.
Under each saved comment is the post its author chose, checked with ``verify_choice`` (a
forged link gets nothing), or with JavaScript off, their latest post.
"""

from __future__ import annotations

import argparse
import json
import logging
import secrets
import sqlite3
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from flask import Flask, redirect, render_template_string, request
from markupsafe import Markup
from sample_site import serve_sample_site
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.wrappers import Response

from commentluv import CommentLuv, Post, format_backlink
from commentluv.web import make_app

logger = logging.getLogger("comment_blog")

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Starting over, one habit at a time</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<style>body { background: Canvas; color: CanvasText; }</style>
<link rel="stylesheet" href="/luv/commentluv.css"></head>
<body>
<article><h1>Starting over, one habit at a time</h1>
<p>Small changes, kept for a long time, beat big ones kept for a week.</p></article>
<section id="comments"><h2>Comments</h2>
{% for comment in comments %}
<article class="comment" id="comment-{{ comment.id }}">
  <p><strong>{{ comment.name }}</strong>: {{ comment.text }}</p>
  {% if comment.backlink %}<p class="backlink">{{ comment.backlink }}</p>{% endif %}
</article>
{% endfor %}
<form method="post" action="/comments" id="commentform">
  <p><label>Name <input name="author" id="author" required></label></p>
  <p><label>Your site <input name="url" id="url" inputmode="url"
     placeholder="{{ sample_url }}"></label></p>
  <p><label>Comment <textarea name="comment" id="comment" required></textarea></label></p>
  <p><button type="submit">Post comment</button></p>
</form>
</section>
<script src="/luv/commentluv.js" data-endpoint="/luv" data-url-field="url"
        data-name-field="author" defer></script>
</body></html>
"""


def create_app(luv: CommentLuv, db_path: str, sample_url: str = "") -> Flask:
    """The blog, with the comment-form service mounted at /luv."""
    app = Flask(__name__)
    with closing(sqlite3.connect(db_path)) as db, db:
        db.execute(
            "CREATE TABLE IF NOT EXISTS comments"
            " (id INTEGER PRIMARY KEY, name TEXT, url TEXT, text TEXT, post TEXT)"
        )

    @app.get("/")
    def post_page() -> str:
        with closing(sqlite3.connect(db_path)) as db:
            rows = db.execute("SELECT id, name, text, post FROM comments ORDER BY id").fetchall()
        comments = [
            {"id": id_, "name": name, "text": text, "backlink": render_backlink(name, post)}
            for id_, name, text, post in rows
        ]
        return render_template_string(PAGE, comments=comments, sample_url=sample_url)

    @app.post("/comments")
    def save_comment() -> Response:
        form = request.form
        name, url = form.get("author", "").strip()[:100], form.get("url", "").strip()
        post = chosen_post(luv, url, form.get("commentluv_link"), form.get("commentluv_token"))
        with closing(sqlite3.connect(db_path)) as db, db:
            saved = db.execute(
                "INSERT INTO comments (name, url, text, post) VALUES (?, ?, ?, ?)",
                (name, url, form.get("comment", "")[:5000], post and json.dumps(post.to_dict())),
            )
        return redirect(f"/#comment-{saved.lastrowid}", code=303)

    # /luv/recent, /luv/backlink and the widget's files, in this same app (no CORS needed).
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/luv": make_app(luv)})
    return app


def chosen_post(luv: CommentLuv, url: str, link: str | None, token: str | None) -> Post | None:
    """The post to show under a new comment: the commenter's choice only if it checks out."""
    if not url:
        return None
    if link:
        check = luv.verify_choice(url, link, token, timeout=3)
        if not check.ok:
            logger.info("chosen post refused (%s): %.200s", check.reason, link)
        return check.post
    # No choice came with the form (JavaScript off, or no answer yet): the latest post.
    result = luv.lookup(url, timeout=3)
    return result.posts[0] if result.ok else None


def render_backlink(name: str, stored: str | None) -> Markup | None:
    if not stored:
        return None
    # format_backlink escapes every piece and links with rel="nofollow ugc": safe markup.
    return Markup(format_backlink(Post.from_dict(json.loads(stored)), name, fmt="html"))


def demo_client() -> CommentLuv:
    # The sample blog is on loopback, which commentluv refuses by default: only a demo may
    # allow private hosts; a real blog keeps the default. This one process both issues and
    # checks the choice tokens, so a fresh secret each run will do.
    return CommentLuv(timeout=3, allow_private_hosts=True, choice_secret=secrets.token_bytes(32))


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve_blog(port: int = 0, db_path: str | None = None) -> Iterator[tuple[str, str]]:
    """Serve the sample blog and this blog on 127.0.0.1; yields (blog URL, sample blog URL)."""
    with (
        tempfile.TemporaryDirectory() as folder,
        serve_sample_site() as sample_url,
        demo_client() as luv,
    ):
        app = create_app(luv, db_path or str(Path(folder) / "comments.sqlite3"), sample_url)
        server = make_server(
            "127.0.0.1", port, app, server_class=_ThreadingServer, handler_class=_QuietHandler
        )
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}/", sample_url
        finally:
            server.shutdown()
            server.server_close()


def check() -> str:
    """Post a chosen, a forged and a plain comment through the app; the page that results."""
    with (
        tempfile.TemporaryDirectory() as folder,
        serve_sample_site() as sample_url,
        demo_client() as luv,
    ):
        client = create_app(luv, str(Path(folder) / "db.sqlite3"), sample_url).test_client()
        offer = client.get("/luv/recent", query_string={"url": sample_url}).get_json()
        second, token = offer["posts"][1]["link"], offer["choice_token"]
        for name, link in (("Chooser", second), ("Forger", "https://spam.example/pills")):
            form = {"author": name, "url": sample_url, "comment": "Hi!"}
            client.post(
                "/comments", data={**form, "commentluv_link": link, "commentluv_token": token}
            )
        client.post("/comments", data={"author": "No JS", "url": sample_url, "comment": "Hi"})
        return client.get("/").get_data(as_text=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="post three comments and exit")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--db", help="SQLite file for the comments (default: a temporary one)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(levelname)s: %(message)s")
    if args.check:
        print(check())
        return 0
    with serve_blog(args.port, args.db) as (blog_url, sample_url):
        print(f"The blog: {blog_url}  (as your site, type the sample blog: {sample_url})")
        with suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
