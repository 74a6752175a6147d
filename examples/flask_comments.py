"""A Flask comment form that shows each commenter's latest post under their comment.

    python examples/flask_comments.py            # the sample blog + this app, on 127.0.0.1
    python examples/flask_comments.py --check    # post two comments, print the page, exit

Offline: the commenter's site is the bundled sample blog, served on loopback. The lookup runs
in the submit handler with a short deadline; commentluv never raises for lookup failures
there: it returns None, the comment simply has no backlink, and the reason is logged (this
example shows the log on stderr).
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass

from flask import Flask, redirect, render_template_string, request
from markupsafe import Markup
from sample_site import serve_sample_site
from werkzeug.wrappers import Response

from commentluv import CommentLuv


@dataclass(frozen=True)
class Comment:
    name: str
    text: str
    backlink: Markup | None


PAGE = """<!doctype html>
<title>Comments</title>
{% for comment in comments %}
  <article>
    <p><strong>{{ comment.name }}</strong>: {{ comment.text }}</p>
    {% if comment.backlink %}<p class="commentluv">{{ comment.backlink }}</p>{% endif %}
  </article>
{% endfor %}
<form method="post">
  <input name="name" placeholder="Name" required>
  <input name="url" placeholder="Your blog (optional)" value="{{ sample_url }}">
  <textarea name="text" required></textarea>
  <button>Post comment</button>
</form>
"""


def create_app(luv: CommentLuv, sample_url: str = "") -> Flask:
    app = Flask(__name__)
    comments: list[Comment] = []

    @app.get("/")
    def show() -> str:
        return render_template_string(PAGE, comments=comments, sample_url=sample_url)

    @app.post("/")
    def submit() -> Response:
        name = request.form.get("name", "").strip()[:100]
        site = request.form.get("url", "").strip()
        line = luv.backlink(name, site, style="card", fmt="html") if site else None
        # commentluv escaped every piece of the line, so it is safe to mark it as markup.
        backlink = Markup(line) if line else None
        comments.append(Comment(name, request.form.get("text", ""), backlink))
        return redirect("/", code=303)

    return app


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="post two comments and exit")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args(argv)
    # Why a comment has no backlink is logged at INFO on the "commentluv" logger.
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(levelname)s: %(message)s")
    # The sample blog is on loopback: only an example (or a test) allows private hosts.
    with (
        serve_sample_site() as sample_url,
        CommentLuv(timeout=2.5, allow_private_hosts=True) as luv,
    ):
        app = create_app(luv, sample_url)
        if not args.check:
            print(f"Sample blog at {sample_url}; comments at http://127.0.0.1:{args.port}/")
            app.run(host="127.0.0.1", port=args.port)
            return 0
        client = app.test_client()
        client.post("/", data={"name": "Jaden Daniels", "url": sample_url, "text": "Hi!"})
        # A site that is not there: no backlink, and the log line says why.
        client.post("/", data={"name": "Anon", "url": "127.0.0.1:9", "text": "Hello"})
        print(client.get("/").get_data(as_text=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
