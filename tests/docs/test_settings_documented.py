"""The settings each integration page names are the ones its code reads, both ways."""

from __future__ import annotations

import re

import pytest

from tests.support import ROOT

PAGES = {
    "docs/integrations/pelican.md": "commentluv/integrations/pelican",
    "docs/integrations/flask.md": "commentluv/integrations/flask.py",
}


def names(text: str) -> set[str]:
    return set(re.findall(r"COMMENTLUV_[A-Z_]+", text))


@pytest.mark.parametrize("page", sorted(PAGES))
def test_the_page_names_the_settings_the_code_reads(page):
    source = ROOT / PAGES[page]
    code = "".join(p.read_text() for p in ([source] if source.is_file() else source.rglob("*.py")))
    assert names((ROOT / page).read_text(encoding="utf-8")) == names(code)


def test_the_django_settings_dict_is_documented_key_by_key():
    page = (ROOT / "docs/integrations/django.md").read_text(encoding="utf-8")
    block = page[page.index("COMMENTLUV = {") : page.index("}\n```", page.index("COMMENTLUV = {"))]
    documented = set(re.findall(r'^\s+"([A-Z_]+)":', block, re.MULTILINE))
    conf = (ROOT / "commentluv/integrations/django/conf.py").read_text()
    read = set(re.findall(r'"([A-Z_]+)"', conf)) - {"COMMENTLUV", "CACHES", "SECRET_KEY"}
    assert documented == read
