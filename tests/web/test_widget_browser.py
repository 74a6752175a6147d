"""The widget in a real browser: Debian's headless Chromium (tests/web/browser.py) on the
demo blog (examples/comment_blog.py) and the bundled sample blog, both on 127.0.0.1: the
choice end to end, where the line sits, how it looks in light and dark, at a phone's and a
desktop's width, right to left and with reduced motion, axe-core's verdict, and forms that a
script draws (and draws again) after the page has loaded."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

import commentluv.web
from tests.support.examples import load_example
from tests.web.browser import (
    axe_violations,
    box,
    computed,
    emulate,
    overflows_page,
    start_chromium,
    wait,
    within,
)

WIDGET = Path(commentluv.web.__file__).parent / "static" / "commentluv.js"
LATEST = "Addictions…You Can Overcome Them"
SECOND = "Morning Routines That Actually Stick"
HEBREW_PAGE = """
window.CommentLuvStrings = {line: "{name} כתב לאחרונה: {title}", choose: "או בחרו רשומה אחרת:"};
document.addEventListener("DOMContentLoaded", () => {
  document.documentElement.lang = "he";
  document.documentElement.dir = "rtl";
});
"""


@pytest.fixture(scope="module")
def demo() -> Iterator[tuple[str, str]]:
    with load_example("comment_blog").serve_blog() as urls:
        yield urls


def recent_calls(driver: WebDriver) -> int:
    return driver.execute_script(
        "return performance.getEntriesByType('resource')"
        ".filter(e => e.name.includes('/luv/recent')).length"
    )


def comment(driver: WebDriver, name: str):
    """The saved comment by ``name`` (the page after the form's redirect)."""
    xpath = f"//article[@class='comment'][p/strong[text()='{name}']]"
    return wait(driver, lambda d: d.find_elements(By.XPATH, xpath))[-1]


def start_comment(driver: WebDriver, blog_url: str, name: str, site: str) -> None:
    driver.get(blog_url)
    driver.find_element(By.ID, "author").send_keys(name)
    driver.find_element(By.ID, "comment").send_keys("Thank you for this.")
    driver.find_element(By.ID, "url").send_keys(site)


def test_choose_the_second_post_and_it_is_saved_while_a_forged_link_is_not(browser, demo, tmp_path):
    blog_url, sample_url = demo
    start_comment(browser, blog_url, "Jaden Daniels", sample_url)
    line = browser.find_element(By.CSS_SELECTOR, ".commentluv-line")
    assert line.get_attribute("aria-live") == "polite"
    wait(browser, lambda d: LATEST in line.text)
    # The blog's style (the service's default, "card"), as the saved backlink will read.
    assert line.text == f".-= Jaden Daniels's last blog ..{LATEST} =-."
    assert recent_calls(browser) == 1  # one request, after the typing stopped
    select = Select(browser.find_element(By.CSS_SELECTOR, ".commentluv-choose select"))
    assert [option.text for option in select.options][:2] == [LATEST, SECOND]
    select.select_by_index(1)
    assert line.text == f".-= Jaden Daniels's last blog ..{SECOND} =-."
    live_line = line.text
    chosen = browser.find_element(By.NAME, "commentluv_link").get_attribute("value")
    assert chosen.endswith("/2026/11/morning-routines-that-actually-stick/")
    assert browser.find_element(By.NAME, "commentluv_token").get_attribute("value")
    browser.save_screenshot(str(tmp_path / "comment-form.png"))
    browser.find_element(By.CSS_SELECTOR, "#commentform button").click()

    saved = comment(browser, "Jaden Daniels").find_element(By.CSS_SELECTOR, ".backlink")
    assert saved.text == live_line  # what the commenter saw is what was saved
    link = saved.find_element(By.TAG_NAME, "a")
    assert (link.text, link.get_attribute("href")) == (SECOND, chosen)
    assert link.get_attribute("rel") == "nofollow ugc"
    browser.save_screenshot(str(tmp_path / "saved-comment.png"))

    # The same form, with the hidden link changed to one the service never offered.
    start_comment(browser, blog_url, "Forger", sample_url)
    wait(browser, lambda d: LATEST in d.find_element(By.CSS_SELECTOR, ".commentluv-line").text)
    browser.execute_script(
        "document.querySelector('[name=commentluv_link]').value = 'https://spam.example/pills/'"
    )
    browser.find_element(By.CSS_SELECTOR, "#commentform button").click()
    assert comment(browser, "Forger").find_elements(By.CSS_SELECTOR, ".backlink") == []
    assert "spam.example" not in browser.page_source


def test_no_request_until_the_field_holds_an_http_url(browser, demo):
    blog_url, _ = demo
    browser.get(blog_url)
    field = browser.find_element(By.ID, "url")
    texts = ("jaden", "javascript:alert(1)", "http://", "ftp://files.example/", "a b.example")
    # A known non-http scheme followed by digits is no host:port (issue 22).
    schemes = ("javascript:80", "data:443", "file:80", "JavaScript:8080/x.example")
    for text in (*texts, *schemes):
        field.clear()
        field.send_keys(text)
        browser.find_element(By.ID, "comment").click()  # blur: asks at once, if at all
    browser.execute_script("return new Promise(r => setTimeout(r, 1500))")
    assert recent_calls(browser) == 0
    assert browser.find_element(By.CSS_SELECTOR, ".commentluv-line").text == ""


def test_a_lookup_error_is_one_short_line_and_no_choice(browser, demo):
    blog_url, _ = demo
    # A gone page of a site with a feed now finds the root's feed (issue 12): the demo blog
    # itself has none, so a gone page of it is still not found.
    start_comment(browser, blog_url, "Typo", blog_url + "no-such-page/")
    line = browser.find_element(By.CSS_SELECTOR, ".commentluv-line")
    wait(browser, lambda d: line.text)
    assert line.text == "That page was not found on your site."
    assert "commentluv-error" in line.get_attribute("class")
    assert not browser.find_element(By.CSS_SELECTOR, ".commentluv-choose").is_displayed()
    assert browser.find_element(By.NAME, "commentluv_link").get_attribute("value") == ""


def test_without_javascript_the_server_adds_the_latest_post(demo, tmp_path):
    blog_url, sample_url = demo
    driver = start_chromium(tmp_path / "profile", javascript=False)
    try:
        start_comment(driver, blog_url, "No Script", sample_url)
        assert driver.find_elements(By.CSS_SELECTOR, ".commentluv") == []  # no widget
        driver.find_element(By.CSS_SELECTOR, "#commentform button").click()
        link = comment(driver, "No Script").find_element(By.CSS_SELECTOR, ".backlink a")
        assert link.text == LATEST and link.get_attribute("rel") == "nofollow ugc"
        driver.save_screenshot(str(tmp_path / "without-javascript.png"))
    finally:
        driver.quit()


def test_the_line_sits_after_the_url_field_in_view_and_in_keyboard_order(browser, demo):
    blog_url, sample_url = demo
    emulate(browser)
    browser.get(blog_url)
    url = browser.find_element(By.ID, "url")
    widget = browser.find_element(By.CSS_SELECTOR, "#commentform .commentluv")
    # In the form, right after the URL field's paragraph, before the comment and the button.
    block = url.find_element(By.XPATH, "ancestor::p[1]")
    assert widget.find_element(By.XPATH, "preceding-sibling::*[1]") == block
    url.send_keys(sample_url)  # the field keeps the focus while the answer arrives
    line = widget.find_element(By.CSS_SELECTOR, ".commentluv-line")
    wait(browser, lambda d: LATEST in line.text)
    select = widget.find_element(By.TAG_NAME, "select")
    assert browser.switch_to.active_element == url  # focus never stolen
    # The keyboard goes as the eye does: the field, the line's link, the select, the comment.
    order = [line.find_element(By.TAG_NAME, "a"), select, browser.find_element(By.ID, "comment")]
    for expected in order:
        browser.switch_to.active_element.send_keys(Keys.TAB)
        assert browser.switch_to.active_element == expected
    button = browser.find_element(By.CSS_SELECTOR, "#commentform button")
    assert box(url)["bottom"] <= box(line)["top"]
    assert box(select)["bottom"] <= box(button)["top"]
    # The select has a visible label: the text that wraps it.
    label = widget.find_element(By.CSS_SELECTOR, "label.commentluv-choose")
    assert label.is_displayed() and label.text.startswith("Or choose another recent post:")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [360, 1280])
def test_the_theme_in_both_schemes_and_widths(browser, demo, screenshots, scheme, width):
    blog_url, sample_url = demo
    emulate(browser, scheme=scheme, width=width)
    browser.get(blog_url)
    form = browser.find_element(By.ID, "commentform")
    name = f"{scheme}-{width}"
    form.screenshot(str(screenshots / f"form-{name}-before.png"))
    browser.find_element(By.ID, "author").send_keys("Jaden Daniels")
    url = browser.find_element(By.ID, "url")
    url.send_keys(sample_url)
    line = form.find_element(By.CSS_SELECTOR, ".commentluv-line")
    wait(browser, lambda d: LATEST in line.text)
    # The page's own font and colour: the widget declares neither.
    for prop in ("color", "font-family"):
        assert computed(line, prop) == computed(form, prop)
    canvas = computed(browser.find_element(By.TAG_NAME, "body"), "color")
    assert (canvas == "rgb(0, 0, 0)") == (scheme == "light")  # the page follows the scheme
    select = form.find_element(By.TAG_NAME, "select")
    button = form.find_element(By.TAG_NAME, "button")
    for element in (line, select):
        assert within(box(element), box(form))  # nothing overflows the form
    assert box(url)["bottom"] <= box(line)["top"] and box(select)["bottom"] <= box(button)["top"]
    assert not overflows_page(browser)
    assert box(select)["right"] - box(select)["left"] <= box(form)["right"] - box(form)["left"]
    form.screenshot(str(screenshots / f"form-{name}-during.png"))
    Select(select).select_by_index(1)
    assert SECOND in line.text
    form.screenshot(str(screenshots / f"form-{name}-after.png"))
    # Last, as it skips without axe-core outside CI: contrast, names, roles of the whole page.
    assert axe_violations(browser) == []


def test_right_to_left_and_reduced_motion(browser, demo, screenshots):
    blog_url, sample_url = demo
    emulate(browser, motion="reduce")
    # A Hebrew blog: its page is right to left and its own line says the rest in Hebrew.
    hebrew = browser.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument",
        {"source": HEBREW_PAGE},
    )["identifier"]
    try:
        browser.get(blog_url)
    finally:
        browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": hebrew})
    browser.find_element(By.ID, "author").send_keys("Jaden Daniels")
    browser.find_element(By.ID, "url").send_keys(sample_url)
    line = browser.find_element(By.CSS_SELECTOR, ".commentluv-line")
    wait(browser, lambda d: LATEST in line.text)
    assert line.text == f"Jaden Daniels כתב לאחרונה: {LATEST}"
    # Each untrusted piece is isolated, so an English name or title keeps its own order.
    pieces = line.find_elements(By.CSS_SELECTOR, "bdi, a[dir=auto]")
    assert [piece.text for piece in pieces] == ["Jaden Daniels", LATEST]
    # The mark is at the start of the line: the right, in a right-to-left page.
    assert computed(line, "border-right-width") != "0px"
    assert computed(line, "border-left-width") == "0px"
    assert computed(line, "animation-name") == "none"
    assert within(box(line), box(browser.find_element(By.ID, "commentform")))
    browser.find_element(By.ID, "commentform").screenshot(str(screenshots / "form-rtl.png"))
    rtl_violations = axe_violations(browser)  # checked last (it may skip)

    emulate(browser, motion="no-preference")
    browser.get(blog_url)
    browser.find_element(By.ID, "url").send_keys(sample_url)
    line = browser.find_element(By.CSS_SELECTOR, ".commentluv-line")
    wait(browser, lambda d: LATEST in line.text)
    assert computed(line, "animation-name") == "commentluv-in"
    assert computed(line, "border-left-width") != "0px"
    assert rtl_violations == []


def test_a_form_drawn_later_is_found_and_one_drawn_again_is_let_go(browser, demo):
    blog_url, sample_url = demo
    emulate(browser)
    browser.get(blog_url)
    # What a comment system's script does: draw its form after load (here: the demo's own
    # form, taken out and put back later as a fresh copy, the old one gone).
    browser.execute_script(
        "const form = document.getElementById('commentform');"
        "window.fresh = form.cloneNode(true);"
        "window.fresh.querySelectorAll('.commentluv, [type=hidden]').forEach(n => n.remove());"
        "form.remove();"
    )
    assert browser.find_elements(By.CSS_SELECTOR, ".commentluv") == []  # let go with it
    browser.execute_script("document.getElementById('comments').append(window.fresh)")
    widget = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#commentform .commentluv"))
    assert len(widget) == 1
    assert len(browser.find_elements(By.NAME, "commentluv_link")) == 1
    browser.find_element(By.ID, "url").send_keys(sample_url)
    wait(browser, lambda d: LATEST in widget[0].text)
    assert recent_calls(browser) == 1
    # The form replaced while a lookup waits: the old field's timer dies with it.
    browser.find_element(By.ID, "url").send_keys(Keys.BACKSPACE)
    browser.execute_script(
        "const old = document.getElementById('commentform');"
        "const copy = window.fresh.cloneNode(true);"
        "copy.querySelectorAll('.commentluv, [type=hidden]').forEach(n => n.remove());"
        "copy.querySelector('#url').value = '';"
        "old.replaceWith(copy);"
    )
    browser.execute_script("return new Promise(r => setTimeout(r, 1500))")
    assert recent_calls(browser) == 1
    assert len(browser.find_elements(By.CSS_SELECTOR, ".commentluv")) == 1


def test_the_widget_is_small():
    assert len(gzip.compress(WIDGET.read_bytes())) < 4 * 1024
