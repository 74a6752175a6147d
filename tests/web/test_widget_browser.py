"""The widget in a real browser: Debian's headless Chromium, driven by Selenium through
Debian's chromedriver (nothing is downloaded), on the demo blog (examples/comment_blog.py)
and the bundled sample blog, both on 127.0.0.1."""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select, WebDriverWait

import commentluv.web
from tests.support.examples import load_example

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
# Root in a container needs the first four; the rest keep Chromium off this closed network.
CHROMIUM_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--window-size=1000,900",
)
WIDGET = Path(commentluv.web.__file__).parent / "static" / "commentluv.js"
LATEST = "Addictions…You Can Overcome Them"
SECOND = "Morning Routines That Actually Stick"


def start_chromium(profile: Path, *, javascript: bool = True) -> WebDriver:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("Chromium cannot be started: chromium and chromium-driver are not installed")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (*CHROMIUM_ARGS, f"--user-data-dir={profile}"):
        options.add_argument(argument)
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2}
        )
    try:
        return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    except WebDriverException as exc:
        pytest.skip(f"Chromium cannot be started here: {exc.msg}")


@pytest.fixture(scope="module")
def demo() -> Iterator[tuple[str, str]]:
    with load_example("comment_blog").serve_blog() as urls:
        yield urls


@pytest.fixture(scope="module")
def browser(tmp_path_factory) -> Iterator[WebDriver]:
    driver = start_chromium(tmp_path_factory.mktemp("chromium"))
    yield driver
    driver.quit()


def wait(driver: WebDriver, condition, seconds: float = 10):
    return WebDriverWait(driver, seconds).until(lambda d: condition(d))


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
    assert line.text == f"Jaden Daniels's last blog ..{LATEST}"
    assert recent_calls(browser) == 1  # one request, after the typing stopped
    select = Select(browser.find_element(By.CSS_SELECTOR, ".commentluv-choose select"))
    assert [option.text for option in select.options][:2] == [LATEST, SECOND]
    select.select_by_index(1)
    assert line.text == f"Jaden Daniels's last blog ..{SECOND}"
    chosen = browser.find_element(By.NAME, "commentluv_link").get_attribute("value")
    assert chosen.endswith("/2026/11/morning-routines-that-actually-stick/")
    assert browser.find_element(By.NAME, "commentluv_token").get_attribute("value")
    browser.save_screenshot(str(tmp_path / "comment-form.png"))
    browser.find_element(By.CSS_SELECTOR, "#commentform button").click()

    link = comment(browser, "Jaden Daniels").find_element(By.CSS_SELECTOR, ".backlink a")
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
    for text in ("jaden", "javascript:alert(1)", "http://", "ftp://files.example/", "a b.example"):
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


def test_the_widget_is_small():
    assert len(gzip.compress(WIDGET.read_bytes())) < 6 * 1024
