"""A Flask comment form that shows each commenter's latest post under their comment.

    pip install flask commentluv
    flask --app examples/flask_comments.py run

The lookup runs in the submit handler with a short deadline; commentluv never raises for
lookup failures there, it returns None and the comment simply has no backlink.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, redirect, render_template_string, request
from markupsafe import Markup
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
  <input name="url" placeholder="Your blog (optional)">
  <textarea name="text" required></textarea>
  <button>Post comment</button>
</form>
"""


def create_app(luv: CommentLuv | None = None) -> Flask:
    app = Flask(__name__)
    # One client per process: it is thread-safe and its cache spares repeat lookups.
    client = luv or CommentLuv(timeout=2.5)
    comments: list[Comment] = []

    @app.get("/")
    def show() -> str:
        return render_template_string(PAGE, comments=comments)

    @app.post("/")
    def submit() -> Response:
        name = request.form.get("name", "").strip()[:100]
        site = request.form.get("url", "").strip()
        line = client.backlink(name, site, style="card", fmt="html") if site else None
        # commentluv escaped every piece of the line, so it is safe to mark it as markup.
        backlink = Markup(line) if line else None
        comments.append(Comment(name, request.form.get("text", ""), backlink))
        return redirect("/", code=303)

    return app


app = create_app()
