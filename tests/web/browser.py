"""Driving Debian's headless Chromium for the widget's tests: Selenium through Debian's
chromedriver (nothing is downloaded), media emulation (colour scheme, reduced motion, width)
through the DevTools protocol, axe-core's accessibility check, and the layout a person sees."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from tests.support import ROOT

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
# .ci/run installs axe-core from the npm registry and names it in AXE_CORE_JS (then a missing
# file fails the tests); elsewhere the same place is tried, and the check skipped without it.
AXE_CORE_REQUIRED = bool(os.environ.get("AXE_CORE_JS"))
AXE_CORE = Path(
    os.environ.get("AXE_CORE_JS") or ROOT / ".venv/npm/node_modules/axe-core/axe.min.js"
)
# Where the screenshots go (COMMENTLUV_SCREENSHOTS keeps them, e.g. for docs/img).
SCREENSHOTS_ENV = "COMMENTLUV_SCREENSHOTS"


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


def wait(driver: WebDriver, condition: Callable[[WebDriver], Any], seconds: float = 10) -> Any:
    return WebDriverWait(driver, seconds).until(lambda d: condition(d))


def emulate(
    driver: WebDriver, *, scheme: str = "light", width: int = 1280, motion: str = "no-preference"
) -> None:
    """What the page's media queries see, and the viewport's width in CSS pixels."""
    features = [
        {"name": "prefers-color-scheme", "value": scheme},
        {"name": "prefers-reduced-motion", "value": motion},
    ]
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": features})
    metrics = {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)


def axe_violations(driver: WebDriver, scope: str | None = None) -> list[dict[str, Any]]:
    """axe-core's violations of "serious" or "critical" impact on the page as it is now (or
    in the elements the CSS selector ``scope`` names)."""
    if not AXE_CORE.exists():
        message = f"axe-core is not installed at {AXE_CORE} (.ci/run installs it with npm)"
        if AXE_CORE_REQUIRED:
            pytest.fail(message)
        pytest.skip(message)
    if not driver.execute_script("return !!window.axe"):
        driver.execute_script(AXE_CORE.read_text(encoding="utf-8"))
    violations = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(arguments[0] || document, {resultTypes: ['violations']}).then(r =>"
        " done(r.violations.map(v =>"
        " ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.html)}))));",
        scope,
    )
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def box(element: WebElement) -> dict[str, float]:
    """The element's border box in the viewport, in CSS pixels."""
    rect: dict[str, float] = element.parent.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        "return {left: r.left, right: r.right, top: r.top, bottom: r.bottom};",
        element,
    )
    return rect


def within(inner: dict[str, float], outer: dict[str, float], slack: float = 0.5) -> bool:
    return (
        inner["left"] >= outer["left"] - slack
        and inner["right"] <= outer["right"] + slack
        and inner["top"] >= outer["top"] - slack
        and inner["bottom"] <= outer["bottom"] + slack
    )


def overflows_page(driver: WebDriver) -> bool:
    return bool(
        driver.execute_script(
            "return document.documentElement.scrollWidth > document.documentElement.clientWidth"
        )
    )


def computed(element: WebElement, prop: str) -> str:
    value: str = element.parent.execute_script(
        "return getComputedStyle(arguments[0]).getPropertyValue(arguments[1])", element, prop
    )
    return value
