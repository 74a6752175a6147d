"""Each integration's import pulls in its own framework and no other; ``import commentluv``
(and ``commentluv.integrations``) none of them, nor asyncio."""

from __future__ import annotations

import pytest

from tests.support.imports import imported_after

FRAMEWORKS = {"django", "django_comments", "flask", "isso", "pelican", "starlette"}


@pytest.mark.parametrize(
    ("module", "framework"),
    [
        ("commentluv", None),
        ("commentluv.integrations", None),
        ("commentluv.integrations.common", None),
        ("commentluv.aio", None),
        ("commentluv.integrations.django.conf", "django"),
        ("commentluv.integrations.flask", "flask"),
        ("commentluv.integrations.isso", "isso"),
        ("commentluv.integrations.pelican", "pelican"),
    ],
)
def test_an_integration_imports_only_its_own_framework(module, framework):
    pytest.importorskip(framework or "commentluv")
    expected = [framework] if framework else []
    assert imported_after(f"import {module}", FRAMEWORKS) == expected


def test_import_commentluv_stays_free_of_asyncio():
    assert imported_after("import commentluv", {"asyncio"}) == []
    assert imported_after("from commentluv import AsyncCommentLuv", {"asyncio"}) == ["asyncio"]
