"""docs/project/dependencies.md names every dependency and extra pyproject.toml declares."""

from __future__ import annotations

import re
import sys

from tests.support import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10 has no tomllib: pip's own copy of tomli, present in every venv
    from pip._vendor import tomli as tomllib


def test_every_dependency_and_extra_is_explained():
    page = (ROOT / "docs/project/dependencies.md").read_text(encoding="utf-8")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = {
        name: packages
        for name, packages in project["optional-dependencies"].items()
        if name not in ("test", "bench")  # development only: their own section
    }
    named = [re.match(r"[\w-]+(\[\w+\])?", requirement).group() for requirement in
             project["dependencies"] + [p for packages in extras.values() for p in packages]
             if not requirement.startswith("commentluv[")]  # [all]: the extras above  # fmt: skip
    assert [name for name in named if f"`{name}`" not in page] == []
    assert [name for name in extras if f"| `{name}` |" not in page] == []
