"""``commentluv serve``: the service on waitress, for real, on 127.0.0.1."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from commentluv import CommentLuv
from commentluv.cli import main
from tests.cli.flood import closed_by_server, half_open, serving, timed_get

FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>Ann</title>
<item><title>Second &amp; last</title><link>http://127.0.0.1/second/</link></item>
<item><title>First</title><link>http://127.0.0.1/first/</link></item></channel></rss>"""


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "luv.secret"
    path.write_bytes(os.urandom(32).hex().encode() + b"\n")
    return path


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_serve_answers_lookups_and_serves_the_widget(site, secret_file, tmp_path):
    site.add("/", '<link rel="alternate" type="application/rss+xml" href="/feed.xml">')
    site.add("/feed.xml", FEED, headers={"Content-Type": "application/rss+xml"})
    cache = tmp_path / "cache.sqlite3"
    options = ["--secret-file", str(secret_file), "--cache", str(cache), "--allow-private-hosts"]
    with serving(*options, "--style", "classic") as base:
        status, headers, body = get(f"{base}/recent?url={site.url}/&limit=2")
        assert status == 200 and headers["Server"] == "commentluv"
        data = json.loads(body)
        assert [post["title"] for post in data["posts"]] == ["Second & last", "First"]
        # The blog's style, for the widget's live line (the name is filled in by the page).
        assert data["line"] == ".-= {name}´s last blog ..{title} =-."
        status, headers, body = get(f"{base}/commentluv.js")
        assert status == 200 and b"data-endpoint" in body
        status, _, body = get(f"{base}/recent?url=javascript:alert(1)")
        assert status == 400 and json.loads(body)["error"]["kind"] == "invalid_url"
        assert get(f"{base}/nowhere")[0] == 404
    # The save side, in another process, checks the token with the same secret and cache.
    from commentluv.cache.sqlite import SQLiteCache

    secret = secret_file.read_bytes().strip()
    with CommentLuv(
        cache=SQLiteCache(cache), choice_secret=secret, allow_private_hosts=True
    ) as save_side:
        check = save_side.verify_choice(site.url, data["posts"][1]["link"], data["choice_token"])
        assert check.ok and check.post.title == "First"
    assert site.paths() == ["/", "/feed.xml"]  # answered from the shared cache


def test_an_over_limit_clients_connections_are_left_unread(secret_file):
    options = ["--secret-file", str(secret_file), "--no-cache", "--rate", "0.01", "--burst", "2"]
    with serving(*options) as base:
        port = int(base.rsplit(":", 1)[1])
        flooder = http.client.HTTPConnection("127.0.0.1", port, timeout=1.5)
        for _ in range(2):
            flooder.request("GET", "/recent?url=ftp://x.example/")
            answer = flooder.getresponse()
            assert (answer.status, answer.read()[:5]) == (400, b'{"ok"')
        # Its bucket is empty for the next 100 s: the server does not even read the request.
        flooder.request("GET", "/recent?url=ftp://x.example/")
        with pytest.raises(TimeoutError):
            flooder.getresponse()
        flooder.close()
        # Another client is answered at once.
        other = http.client.HTTPConnection(
            "127.0.0.1", port, timeout=5, source_address=("127.0.0.2", 0)
        )
        other.request("GET", "/recent?url=ftp://x.example/")
        assert other.getresponse().status == 400
        other.close()


def test_serve_needs_a_readable_secret_of_16_bytes(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["serve"])
    assert exit_info.value.code == 2
    assert "--secret-file" in capsys.readouterr().err
    short = tmp_path / "short"
    short.write_text("hunter2\n")
    for path, message in ((short, "at least 16 bytes"), (tmp_path / "missing", "cannot read")):
        with pytest.raises(SystemExit):
            main(["serve", "--secret-file", str(path)])
        assert message in capsys.readouterr().err


def test_bad_service_options_are_usage_errors(secret_file, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--secret-file", str(secret_file), "--trusted-proxy", "nope", "--no-cache"])
    assert exit_info.value.code == 2
    assert "nope" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--secret-file", str(secret_file), "--style", "{bogus}", "--no-cache"])
    assert exit_info.value.code == 2
    assert "bogus" in capsys.readouterr().err


def test_a_busy_port_is_one_clear_line_and_exit_status_2(secret_file):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command = ["serve", "--no-cache", "--port", str(port), "--secret-file", str(secret_file)]
        finished = subprocess.run(
            [sys.executable, "-m", "commentluv", *command],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert finished.returncode == 2
    lines = finished.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in finished.stderr, finished.stderr
    assert f"127.0.0.1:{port}" in lines[0] and "in use" in lines[0]


def test_serve_help_shows_the_defaults(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--help"])
    assert exit_info.value.code == 0
    shown = " ".join(capsys.readouterr().out.split())
    for default in ("(default: 127.0.0.1)", "(default: 8080)", "(default: 1.0)", "(default: 30)"):
        assert default in shown, default
    assert "(default: 4)" in shown and "(default 10)" in shown  # --timeout says it itself


def test_a_connection_flood_from_one_address_locks_nobody_else_out(site, secret_file, tmp_path):
    site.add("/", '<link rel="alternate" type="application/rss+xml" href="/feed.xml">')
    site.add("/feed.xml", FEED, headers={"Content-Type": "application/rss+xml"})
    options = ["--secret-file", str(secret_file), "--cache", str(tmp_path / "cache.sqlite3")]
    options += ["--allow-private-hosts", "--rate", "100", "--burst", "100"]
    with serving(*options) as base:
        port = int(base.rsplit(":", 1)[1])
        recent = f"/recent?url={site.url}/"
        assert timed_get(port, recent)[0] == 200  # now cached
        flood = half_open(port, 300)
        try:
            times = []
            for path in ("/commentluv.js", recent) * 10:
                status, seconds = timed_get(port, path)
                assert status == 200, (path, status, seconds)
                times.append(seconds)
            assert max(times) < 2.0, times
            # The newest connections beyond the cap were closed; a few are kept.
            time.sleep(0.5)
            assert sum(closed_by_server(conn) for conn in flood) >= 250
        finally:
            for conn in flood:
                conn.close()


def test_a_head_trickled_slowly_is_cut_off_and_a_prompt_one_is_answered(secret_file):
    options = ["--secret-file", str(secret_file), "--no-cache", "--head-timeout", "1"]
    with serving(*options) as base:
        port = int(base.rsplit(":", 1)[1])
        (slow,) = half_open(port, 1)
        started = time.monotonic()
        closed = False
        while not closed and time.monotonic() - started < 6:
            try:
                slow.sendall(b"x")  # one byte every 0.2 s: activity, but no head
            except OSError:
                break
            time.sleep(0.2)
            closed = closed_by_server(slow)
        slow.close()
        assert 1 <= time.monotonic() - started < 4
        # A connection that asks at once, then again after a pause within the timeout.
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        for _ in range(2):
            conn.request("GET", "/commentluv.js")
            assert conn.getresponse().read()
            time.sleep(0.5)
        conn.close()


def test_serve_with_metrics_is_scraped(secret_file):
    from prometheus_client.parser import text_string_to_metric_families

    with serving("--secret-file", str(secret_file), "--no-cache", "--metrics") as base:
        assert get(f"{base}/healthz")[0] == 200 and get(f"{base}/readyz")[0] == 200
        assert get(f"{base}/recent?url=ftp://x.example/")[0] == 400
        status, _, body = get(f"{base}/metrics")
    assert status == 200
    families = {family.name: family for family in text_string_to_metric_families(body.decode())}
    samples = {
        (sample.labels["endpoint"], sample.labels["status"]): sample.value
        for sample in families["commentluv_requests"].samples
    }
    assert samples == {("/healthz", "200"): 1, ("/readyz", "200"): 1, ("/recent", "400"): 1}
    assert "commentluv_request_seconds" in families


def test_two_serve_processes_on_one_redis_give_a_client_one_limit(secret_file, redis_server):
    options = ["--secret-file", str(secret_file), "--redis", redis_server.url.replace("/0", "/5")]
    options += ["--rate", "0.01", "--burst", "4"]
    with serving(*options) as first, serving(*options) as second:
        statuses = [
            timed_get(int(base.rsplit(":", 1)[1]), "/recent?url=ftp://x.example/", 2)[0]
            for base in (first, second) * 4
        ]
        # One bucket of 4, not one each; beyond it 429, or (once a process has seen the
        # bucket empty) the request is left unread: no answer (0).
        assert statuses[:4] == [400] * 4 and set(statuses[4:]) <= {429, 0}, statuses
        assert 429 in statuses  # (per process, each would have answered 4 of its own)
        assert get(f"{first}/readyz")[0] == 200


def test_redis_is_the_cache_so_not_with_cache_options(secret_file, capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--secret-file", str(secret_file), "--redis", "redis://x", "--no-cache"])
    assert exit_info.value.code == 2
    assert "--redis is the cache" in capsys.readouterr().err
