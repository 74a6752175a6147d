"""CommentLuvExt in a real Flask app: the service blueprint, pick() (verify or fetch), the
Jinja filter and script global, the COMMENTLUV_* config."""

from __future__ import annotations

import pytest

pytest.importorskip("flask")

from flask import Flask, render_template_string

from commentluv import CommentLuv
from commentluv.integrations.flask import CommentLuvExt

JADEN = "https://jaden.example/"


def make(web, **config):
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY="k" * 32, COMMENTLUV_CLIENT_OPTIONS={"transport": web.transport}, **config
    )
    ext = CommentLuvExt(app)
    picks = []

    @app.post("/save")
    def save():
        picks.append(ext.pick())
        return "saved"

    return app, ext, picks


def test_pick_checks_a_choice_and_falls_back_to_the_latest(blog):
    app, _, picks = make(blog.web)
    client = app.test_client()
    offer = client.get("/commentluv/recent", query_string={"url": JADEN}).get_json()
    token = offer["choice_token"]
    for link in (blog.link("Post 7"), "https://spam.example/", ""):
        form = {"url": JADEN, "commentluv_link": link, "commentluv_token": token}
        assert client.post("/save", data=form).status_code == 200
    client.post("/save", data={"url": ""})
    chosen, forged, latest, nothing = picks
    assert chosen.how == "chosen" and chosen.post.title == "Post 7"
    assert forged is None and nothing is None
    assert latest.how == "latest" and latest.post.title == "Post 9"


def test_the_filter_and_the_script_global_render_safely(blog):
    app, ext, _ = make(blog.web, COMMENTLUV_STYLE="recent", COMMENTLUV_URL_PREFIX="/luv")
    with app.test_request_context("/"):
        post = ext.client.latest(JADEN)
        page = render_template_string(
            "{{ post | commentluv_backlink(name) }}|{{ stored | commentluv_backlink(name) }}"
            "|{{ none | commentluv_backlink(name) }}|{{ commentluv_script() }}",
            post=post,
            stored=post.to_dict(),
            none=None,
            name="<b>Jaden</b>",
        )
    line = 'Jaden recently posted..<a href="https://jaden.example/2026/11/post-9/" rel="nofollow ugc">Post 9</a>'
    assert page.split("|")[:3] == [line, line, ""]
    assert page.split("|")[3] == (
        '<script src="/luv/commentluv.js" data-endpoint="/luv" data-url-field="url"'
        ' data-name-field="author" defer></script>'
    )


def test_the_service_blueprint_answers_with_its_own_statuses_and_cors(blog):
    app, _, _ = make(blog.web, COMMENTLUV_ALLOWED_ORIGINS=["https://blog.example"])
    client = app.test_client()
    script = client.get("/commentluv/commentluv.js")
    assert script.status_code == 200 and script.mimetype == "text/javascript"
    head = client.head("/commentluv/commentluv.js")
    assert head.data == b"" and head.content_length == len(script.data) > 0
    assert client.get("/commentluv/recent").get_json()["error"]["kind"] == "bad_request"
    assert client.get("/commentluv/nothing").status_code == 404
    preflight = client.options("/commentluv/recent", headers={"Origin": "https://blog.example"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://blog.example"
    answer = client.get("/commentluv/backlink", query_string={"url": JADEN, "name": "J"})
    again = client.get(
        "/commentluv/backlink",
        query_string={"url": JADEN, "name": "J"},
        headers={"If-None-Match": answer.headers["ETag"]},
    )
    assert answer.get_json()["backlink"].endswith("..Post 9 =-.") and again.status_code == 304


def test_config_is_checked(web):
    for config in ({"SECRET_KEY": ""}, {"SECRET_KEY": "k" * 32, "COMMENTLUV_FORMAT": "rtf"}):
        app = Flask(__name__)
        app.config.update(config)
        with pytest.raises(ValueError, match=r"COMMENTLUV|SECRET_KEY"):
            CommentLuvExt(app)
    with pytest.raises(ValueError, match="choice_secret"):
        CommentLuvExt(Flask(__name__), client=CommentLuv(transport=web.transport))


def test_one_extension_serves_two_apps_with_a_shared_client(blog):
    luv = CommentLuv(transport=blog.web.transport, choice_secret=b"s" * 32)
    ext = CommentLuvExt(client=luv)
    first, second = Flask("first"), Flask("second")
    second.config["COMMENTLUV_URL_PREFIX"] = "/luv"
    for app in (first, second):
        ext.init_app(app)
    with second.test_request_context("/"):
        assert ext.client is luv and 'src="/luv/commentluv.js"' in ext.script()
    assert first.test_client().get("/commentluv/commentluv.css").status_code == 200
