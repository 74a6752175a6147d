"""The README is the landing page: short, and every link into the docs leads to a page."""

from __future__ import annotations

import re

from tests.support import ROOT

README = ROOT / "README.md"


def test_the_readme_stays_a_landing_page():
    assert len(README.read_text(encoding="utf-8").splitlines()) < 250


def test_every_relative_link_of_the_readme_leads_to_a_file():
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README.read_text(encoding="utf-8"))
    relative = [link for link in links if "://" not in link]
    assert relative, "the README links into the docs"
    assert [link for link in relative if not (ROOT / link).is_file()] == []
