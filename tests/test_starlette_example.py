"""The Starlette example through Starlette's test client: AsyncCommentLuv behind an async
route, and the comment-form service mounted beside it."""

from __future__ import annotations

import pytest

pytest.importorskip("starlette")

from starlette.testclient import TestClient

from commentluv import AsyncCommentLuv, CommentLuv
from tests.support.examples import load_example

example = load_example("starlette_service")
JADEN = "https://jaden.example/"


def test_the_async_route_and_the_mounted_service_answer(blog):
    client = CommentLuv(transport=blog.web.transport, choice_secret=b"s" * 32)
    with TestClient(example.create_app(AsyncCommentLuv(client))) as http:
        offer = http.get("/luv/recent", params={"url": JADEN, "limit": "2"})
        line = http.get("/backlink", params={"url": JADEN, "name": "Jaden"})
        missing = http.get("/backlink", params={"url": "https://gone.example/"})
        script = http.get("/luv/commentluv.js")
        again = http.get("/luv/recent", params={"url": JADEN, "limit": "2"},
                         headers={"If-None-Match": offer.headers["etag"]})  # fmt: skip
    assert [post["title"] for post in offer.json()["posts"]] == ["Post 9", "Post 8"]
    assert client.verify_choice(JADEN, blog.link("Post 8"), offer.json()["choice_token"]).ok
    assert line.json()["backlink"].endswith('rel="nofollow ugc">Post 9</a> =-.')
    assert missing.status_code == 404 and missing.json() == {"backlink": None}
    assert script.headers["content-type"].startswith("text/javascript")
    assert again.status_code == 304


def test_the_example_runs_offline_with_one_command():
    from tests.support.examples import check_example

    result = check_example("starlette_service")
    assert '"Morning Routines That Actually Stick"' in result.stdout
    assert 'rel=\\"nofollow ugc\\">Addictions…You Can Overcome Them</a>' in result.stdout
