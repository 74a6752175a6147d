"""The widget in a comment form drawn by another project's script: Isso's own embed.min.js
(from the installed isso package) served by the real Isso app on 127.0.0.1, with the
comment-form service beside it (examples/isso_comments.py). Isso posts only its own JSON
fields, so the choice travels through POST /choose and the cache the two share."""

from __future__ import annotations

import json
import sqlite3
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

pytest.importorskip("isso")

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from tests.support.examples import load_example
from tests.web.browser import axe_violations, box, emulate, wait, within

LATEST = "Addictions…You Can Overcome Them"
SECOND = "Morning Routines That Actually Stick"
POSTBOX = ".isso-postbox"


@pytest.fixture(scope="module")
def isso_blog() -> Iterator[tuple[str, str, str]]:
    with load_example("isso_comments").serve_isso_blog() as urls:
        yield urls


def record_posts(driver: WebDriver) -> None:
    """Keep the status of each POST the page's scripts make (the widget reads no answer to
    its POST, so the browser's resource timing never lists it)."""
    driver.execute_script(
        "const fetch = window.fetch; window.posts = [];"
        "window.fetch = function (url, options) {"
        "  const answer = fetch.apply(this, arguments);"
        "  if (options && options.method === 'POST')"
        "    answer.then(r => window.posts.push([String(url), r.status]));"
        "  return answer; };"
    )


def stored_texts(folder: str) -> list[str]:
    with closing(sqlite3.connect(Path(folder) / "comments.db")) as db:
        return [row[0] for row in db.execute("SELECT text FROM comments ORDER BY id")]


def test_a_commenter_chooses_a_post_in_issos_own_form_and_isso_saves_it(
    browser, isso_blog, screenshots
):
    blog_url, sample_url, folder = isso_blog
    emulate(browser, width=1280)
    browser.get(blog_url)
    # Isso draws its form after the page has loaded; the widget finds its website field.
    postbox = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, POSTBOX))[0]
    widget = wait(browser, lambda d: postbox.find_elements(By.CSS_SELECTOR, ".commentluv"))[0]
    website = postbox.find_element(By.NAME, "website")
    submit = postbox.find_element(By.CSS_SELECTOR, "[type=submit]")
    assert widget.find_element(By.XPATH, "preceding-sibling::*[1]") == website.find_element(
        By.XPATH, ".."
    )
    postbox.screenshot(str(screenshots / "isso-before.png"))

    postbox.find_element(By.NAME, "author").send_keys("Jaden Daniels")
    postbox.find_element(By.CSS_SELECTOR, "textarea").send_keys("Thank you for this.")
    record_posts(browser)
    website.send_keys(sample_url)
    line = widget.find_element(By.CSS_SELECTOR, ".commentluv-line")
    wait(browser, lambda d: LATEST in line.text)
    assert line.text == f".-= Jaden Daniels's last blog ..{LATEST} =-."
    assert box(website)["bottom"] <= box(line)["top"]
    assert box(widget)["bottom"] <= box(submit)["top"]
    # Nothing leaves Isso's form: the line, and Isso's floated buttons the line pushed down.
    for element in (widget, submit):
        assert within(box(element), box(postbox))
    assert postbox.find_elements(By.CSS_SELECTOR, "[type=hidden]") == []  # none: not a <form>

    # The service keeps the signed choice: the latest as it was shown, then the second.
    def registered(driver: WebDriver) -> list:
        return driver.execute_script("return window.posts")

    assert wait(browser, registered) == [["/luv/choose", 200]]
    Select(widget.find_element(By.TAG_NAME, "select")).select_by_index(1)
    assert line.text == f".-= Jaden Daniels's last blog ..{SECOND} =-."
    wait(browser, lambda d: len(registered(d)) == 2)
    assert registered(browser) == [["/luv/choose", 200]] * 2
    postbox.screenshot(str(screenshots / "isso-during.png"))
    submit.click()

    # Isso shows the new comment, rendered from what it saved.
    second = sample_url + "2026/11/morning-routines-that-actually-stick/"
    link = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#isso-thread .isso-text a"))[0]
    assert (link.text, link.get_attribute("href")) == (SECOND, second)
    assert stored_texts(folder) == [
        f"Thank you for this.\n\n.-= Jaden Daniels's last blog ..[{SECOND}]({second}) =-."
    ]
    browser.save_screenshot(str(screenshots / "isso-after.png"))

    # The next comment, with no new choice, gets the latest post: a choice is used once.
    postbox.find_element(By.CSS_SELECTOR, "textarea").send_keys("And another thing.")
    postbox.find_element(By.CSS_SELECTOR, "[type=submit]").click()
    wait(browser, lambda d: len(stored_texts(folder)) == 2)
    latest = sample_url + "2026/11/addictions-you-can-overcome-them/"
    assert stored_texts(folder)[1].endswith(f"..[{LATEST}]({latest}) =-.")
    # Last, as it skips without axe-core outside CI (Isso's own markup is Isso's business).
    assert axe_violations(browser, scope=".commentluv") == []


def test_issos_reply_forms_get_their_own_widget_and_lose_it_with_the_form(browser, isso_blog):
    blog_url, _, _ = isso_blog
    browser.get(blog_url)
    postbox = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, POSTBOX))[0]
    postbox.find_element(By.CSS_SELECTOR, "textarea").send_keys("Something to reply to.")
    postbox.find_element(By.CSS_SELECTOR, "[type=submit]").click()
    reply = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".isso-comment .isso-reply"))
    reply[0].click()  # Isso draws a second form under the comment
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".commentluv")) == 2)
    boxes = browser.find_elements(By.CSS_SELECTOR, POSTBOX)
    assert [len(b.find_elements(By.CSS_SELECTOR, ".commentluv")) for b in boxes] == [1, 1]
    browser.find_elements(By.CSS_SELECTOR, ".isso-comment .isso-reply")[0].click()  # cancel
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, POSTBOX)) == 1)
    assert len(browser.find_elements(By.CSS_SELECTOR, ".commentluv")) == 1


def test_a_strangers_earlier_pick_gives_way_to_what_the_commenter_sees(browser, isso_blog):
    blog_url, sample_url, folder = isso_blog
    # A stranger who knows the commenter's site asks for a token and registers the third post.
    query = urllib.parse.urlencode({"url": sample_url})
    with urllib.request.urlopen(f"{blog_url}luv/recent?{query}") as answer:
        offer = json.load(answer)
    third = offer["posts"][2]["link"]
    form = {"url": offer["site"], "link": third, "token": offer["choice_token"]}
    data = urllib.parse.urlencode(form).encode()
    with urllib.request.urlopen(f"{blog_url}luv/choose", data=data) as answer:
        assert answer.status == 200
    # The commenter's widget registers the post its line shows: the latest, untouched.
    browser.get(blog_url)
    postbox = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, POSTBOX))[0]
    record_posts(browser)
    website = postbox.find_element(By.NAME, "website")
    website.clear()
    website.send_keys(sample_url)
    wait(browser, lambda d: d.execute_script("return window.posts"))
    postbox.find_element(By.CSS_SELECTOR, "textarea").send_keys("No choice made here.")
    postbox.find_element(By.CSS_SELECTOR, "[type=submit]").click()
    wait(browser, lambda d: stored_texts(folder)[-1].startswith("No choice made here."))
    latest = sample_url + "2026/11/addictions-you-can-overcome-them/"
    assert stored_texts(folder)[-1].endswith(f"({latest}) =-.")
