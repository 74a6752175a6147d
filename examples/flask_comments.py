"""A Flask comment form whose comments show their authors' latest (or chosen) post.

    python examples/flask_comments.py            # the sample blog + this app, on 127.0.0.1
    python examples/flask_comments.py --check    # post two comments, print the page, exit

``CommentLuvExt(app)`` mounts the comment-form service at /commentluv, gives templates the
``commentluv_backlink`` filter and the ``commentluv_script()`` widget tag, and the save
handler one call, ``luv.pick()``: the commenter's chosen post if it checks out against their
feed, else their latest, within a short deadline. It never raises for lookup failures: the
comment simply has no backlink, and the reason is logged (this example logs to stderr).
Offline: the commenter's site is the bundled sample blog, served on loopback.
"""

from __future__ import annotations

import secrets
import sys
from dataclasses import dataclass
from typing import Any

from flask import Flask, redirect, render_template_string, request
from sample_site import example_arguments, serve_sample_site
from werkzeug.wrappers import Response

from commentluv import Post
from commentluv.integrations.flask import CommentLuvExt


@dataclass(frozen=True)
class Comment:
    name: str
    text: str
    post: Post | None


PAGE = """<!doctype html>
<title>Comments</title>
{% for comment in comments %}
  <article>
    <p><strong>{{ comment.name }}</strong>: {{ comment.text }}</p>
    {% if comment.post %}
    <p class="commentluv">{{ comment.post | commentluv_backlink(comment.name) }}</p>
    {% endif %}
  </article>
{% endfor %}
<form method="post">
  <input name="author" placeholder="Name" required>
  <input name="url" placeholder="Your blog (optional)" value="{{ sample_url }}">
  <textarea name="text" required></textarea>
  <button>Post comment</button>
  {{ commentluv_script() }}
</form>
"""


def create_app(sample_url: str = "", **client_options: Any) -> Flask:
    """The app; ``client_options`` are CommentLuv keywords (a test passes a transport)."""
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secrets.token_hex(32),
        COMMENTLUV_TIMEOUT=2.5,
        COMMENTLUV_CLIENT_OPTIONS=client_options,
    )
    luv = CommentLuvExt(app)
    comments: list[Comment] = []

    @app.get("/")
    def show() -> str:
        return render_template_string(PAGE, comments=comments, sample_url=sample_url)

    @app.post("/")
    def submit() -> Response:
        picked = luv.pick()
        name = request.form.get("author", "").strip()[:100]
        comments.append(Comment(name, request.form.get("text", ""), picked and picked.post))
        return redirect("/", code=303)

    return app


def main(argv: list[str]) -> int:
    # Why a comment has no backlink is logged at INFO on the "commentluv" logger.
    args = example_arguments(argv, __doc__, check="post two comments and exit", port=5000)
    # The sample blog is on loopback: only an example (or a test) allows private hosts.
    with serve_sample_site() as sample_url:
        app = create_app(sample_url, allow_private_hosts=True)
        if not args.check:
            print(f"Sample blog at {sample_url}; comments at http://127.0.0.1:{args.port}/")
            app.run(host="127.0.0.1", port=args.port)
            return 0
        client = app.test_client()
        client.post("/", data={"author": "Jaden Daniels", "url": sample_url, "text": "Hi!"})
        # A site that is not there: no backlink, and the log line says why.
        client.post("/", data={"author": "Anon", "url": "127.0.0.1:9", "text": "Hello"})
        print(client.get("/").get_data(as_text=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
