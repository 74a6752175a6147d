"""The service's part in the widget's line and choice: /recent names the blog's backlink
style, and POST /choose keeps a signed choice for comment systems whose forms post only
their own fields (Isso), once, for a few minutes."""

from __future__ import annotations

import io
import json
from typing import Any
from urllib.parse import urlencode

import pytest

from commentluv import CommentLuv, MemoryCache
from commentluv.formatting import STYLES
from commentluv.web import make_app
from commentluv.web.choices import Choice, ChoiceRegistry

# The service tests' client (a FakeWeb, the test clock, a secret): one fixture for both.
from tests.web import test_app

luv = test_app.luv
SECRET = test_app.SECRET


def post_form(app: Any, path: str, form: dict[str, str] | bytes) -> tuple[int, dict[str, Any]]:
    body = form if isinstance(form, bytes) else urlencode(form).encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)),
        "REMOTE_ADDR": "198.51.100.7",
        "wsgi.input": io.BytesIO(body),
    }
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answer["status"] = int(status.split()[0])

    payload = b"".join(app(environ, start_response))
    return answer["status"], json.loads(payload)


@pytest.mark.parametrize("style", ["card", "classic", "recent"])
def test_recent_names_the_blogs_style_for_the_live_line(luv, blog, wsgi, style):
    app = make_app(luv, rate_limit=None, style=style)
    assert wsgi(app, "/recent", {"url": blog.site}).json["line"] == STYLES[style]


def test_the_default_style_is_the_saved_backlinks_default_and_a_bad_one_is_refused(luv, blog, wsgi):
    line = wsgi(make_app(luv, rate_limit=None), "/recent", {"url": blog.site}).json["line"]
    assert line == ".-= {name}'s last blog ..{title} =-."
    with pytest.raises(ValueError, match="placeholder"):
        make_app(luv, style="{nope}")


def test_a_signed_choice_is_kept_once_for_its_site(luv, blog, wsgi):
    app = make_app(luv, rate_limit=None)
    offer = wsgi(app, "/recent", {"url": blog.site}).json
    second = offer["posts"][1]["link"]
    form = {"url": offer["site"], "link": second, "token": offer["choice_token"]}
    assert post_form(app, "/choose", form) == (200, {"ok": True})
    registry = ChoiceRegistry(luv.cache)
    # What the commenter typed in the form, not the normalised site, finds it.
    assert registry.take(" https://JADEN.example") == Choice(second, offer["choice_token"])
    assert registry.take(blog.site) is None  # used once


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"link": "https://spam.example/pills/"}, "not_offered"),
        ({"url": "https://other.example/"}, "other_site"),
        ({"token": "x" * 40}, "forged"),
        ({"token": ""}, "forged"),
        ({"url": "javascript:80"}, "other_site"),
    ],
)
def test_a_choice_the_service_did_not_offer_is_refused_and_not_kept(
    luv, blog, wsgi, change, reason
):
    app = make_app(luv, rate_limit=None)
    offer = wsgi(app, "/recent", {"url": blog.site}).json
    form = {"url": offer["site"], "link": offer["posts"][1]["link"], "token": offer["choice_token"]}
    status, answer = post_form(app, "/choose", {**form, **change})
    assert (status, answer["error"]["kind"]) == (400, "choice_refused")
    assert answer["error"]["message"].endswith(reason)
    assert ChoiceRegistry(luv.cache).take(blog.site) is None


def test_an_expired_token_is_refused(luv, blog, wsgi, clock):
    app = make_app(luv, rate_limit=None, token_ttl=60)
    offer = wsgi(app, "/recent", {"url": blog.site}).json
    clock.now += 48 * 3600
    form = {"url": offer["site"], "link": offer["posts"][1]["link"], "token": offer["choice_token"]}
    assert post_form(app, "/choose", form)[1]["error"]["message"].endswith("expired")


def test_choose_takes_only_a_small_post(luv, wsgi):
    app = make_app(luv, rate_limit=None)
    assert wsgi(app, "/choose").status == 405
    status, answer = post_form(app, "/choose", b"url=" + b"a" * 5000)
    assert (status, answer["error"]["kind"]) == (400, "bad_request")
    assert wsgi(app, "/recent", method="POST").status == 405


def test_a_choice_is_forgotten_after_its_ttl(clock):
    cache = MemoryCache(timer=clock)
    registry = ChoiceRegistry(cache, ttl=120)
    signer = CommentLuv(choice_secret=SECRET).choice_signer
    assert signer is not None
    token = signer.issue("https://jaden.example/", ["https://jaden.example/a/"], int(clock()) + 600)
    choice = Choice("https://jaden.example/a/", token)
    assert registry.register(signer, "https://jaden.example", choice, now=clock()) == "ok"
    clock.now += 121
    assert registry.take("https://jaden.example") is None
    with pytest.raises(ValueError, match="ttl"):
        ChoiceRegistry(cache, ttl=0)
