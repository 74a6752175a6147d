"""The browser tests' fixtures (tests/web/browser.py drives the browser)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # selenium is the test group's: the core suite runs tests/web without it
    from selenium.webdriver.remote.webdriver import WebDriver


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    from tests.web.browser import start_chromium

    driver = start_chromium(tmp_path_factory.mktemp("chromium"))
    yield driver
    driver.quit()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where a test saves what a person would look at (COMMENTLUV_SCREENSHOTS keeps them)."""
    from tests.web.browser import SCREENSHOTS_ENV

    folder = Path(os.environ.get(SCREENSHOTS_ENV) or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
