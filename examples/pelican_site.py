"""A tiny Pelican site whose file comments show their authors' posts, built offline.

    python examples/pelican_site.py            # build it into ./pelican-output and say where
    python examples/pelican_site.py --check    # build it in a temporary folder, print the page

The plugin ``commentluv.integrations.pelican`` reads the comments the way
pelican-comment-system keeps them (``content/comments/<slug>/<id>.md``, with ``author``,
``website`` and ``date``), looks each commenter's site up through an SQLite cache at build
time, and gives the template ``comment.backlink``. The old comment gets the post that was
newest on its date. Offline: the commenters' site is the bundled sample blog on 127.0.0.1.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from sample_site import example_arguments, serve_sample_site

ARTICLE = """Title: Starting over
Date: 2026-11-01 10:00
Slug: starting-over

Small changes, kept for a long time, beat big ones kept for a week.
"""

COMMENTS = {
    "1": "author: Jaden Daniels\nwebsite: {site}\ndate: 2026-11-20 09:30\n\nSo true!\n",
    "0": "author: Early Bird\nwebsite: {site}\ndate: 2026-11-15 12:00\n\nFirst!\n",
    "2": "author: Anon\nwebsite: http://127.0.0.1:9/\ndate: 2026-11-21 08:00\n\nHello\n",
}

# The theme's article page, with the comments and their backlinks under the article.
TEMPLATE = """{% extends "!simple/base.html" %}
{% block content %}<h1>{{ article.title }}</h1>{{ article.content }}
<section id="comments">{% for comment in article.commentluv_comments %}
<article class="comment" id="comment-{{ comment.id }}">
<p><strong>{{ comment.author }}</strong> ({{ comment.date.date() }}):</p>{{ comment.content }}
{% if comment.backlink %}<p class="backlink">{{ comment.backlink.html }}</p>{% endif %}
</article>{% endfor %}</section>{% endblock %}
"""


def write_site(folder: Path, site_url: str) -> Path:
    """The site's sources under ``folder``: its content, comments and template."""
    content = folder / "content"
    (content / "comments" / "starting-over").mkdir(parents=True)
    (content / "starting-over.md").write_text(ARTICLE)
    for name, text in COMMENTS.items():
        path = content / "comments" / "starting-over" / f"{name}.md"
        path.write_text(text.format(site=site_url))
    (folder / "templates").mkdir()
    (folder / "templates" / "article.html").write_text(TEMPLATE)
    return content


def build(folder: Path, site_url: str, output: Path | None = None, **settings: object) -> Path:
    """Build the site with Pelican into ``output`` (default ``folder/output``); the folder
    the pages went to."""
    from pelican import Pelican
    from pelican.settings import read_settings

    content = folder / "content"
    if not content.exists():
        write_site(folder, site_url)
    output = output or folder / "output"
    configured = read_settings(
        override={
            "PATH": str(content),
            "OUTPUT_PATH": str(output),
            "CACHE_PATH": str(folder / "cache"),
            "THEME_TEMPLATES_OVERRIDES": [str(folder / "templates")],
            "THEME": "simple",
            "TIMEZONE": "UTC",
            "SITEURL": "",
            "FEED_ALL_ATOM": None,
            "CATEGORY_FEED_ATOM": None,
            "PLUGINS": ["commentluv.integrations.pelican"],
            # The sample blog is on loopback: only a demo may allow private hosts.
            "COMMENTLUV_CLIENT_OPTIONS": {"allow_private_hosts": True},
            "COMMENTLUV_TIMEOUT": 2.5,
            **settings,
        }
    )
    Pelican(configured).run()
    return output


def main(argv: list[str]) -> int:
    args = example_arguments(argv, __doc__, check="build, print the page, exit")
    with tempfile.TemporaryDirectory() as folder, serve_sample_site() as sample_url:
        if args.check:
            output = build(Path(folder), sample_url)
            print((output / "starting-over.html").read_text())
            return 0
        output = build(Path(folder), sample_url, Path("pelican-output").resolve())
        print(f"Built into {output}: open {output / 'starting-over.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
