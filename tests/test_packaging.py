"""The package as users get it: the sdist and the wheel built from this tree (the wheel from
the sdist, as ``python -m build`` does), their metadata, and the sdist's own tests run from the
unpacked sdist. .ci/run also builds them with build isolation, checks them with twine and
smoke-tests the wheel in a fresh venv."""

from __future__ import annotations

import email.parser
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from email.message import Message
from fnmatch import fnmatch
from pathlib import Path

import pytest

from commentluv import __version__
from tests.support import ROOT

# Building takes a few seconds and the sdist's suite some more: .ci/run's slow step runs these.
pytestmark = pytest.mark.slow

# Tracked files that are not part of a source release: git and CI plumbing, working notes.
NOT_RELEASED = [".gitignore", ".ci/*"]
# What a working tree collects beside the tracked files (.gitignore's patterns).
UNTRACKED = [
    ".git",
    ".venv*",
    "*.egg-info",
    "__pycache__",
    "build",
    "dist",
    ".*_cache",
    ".hypothesis",
]
# A fast subset that needs what the sdist must carry: tests/support, tests/fixtures (feeds,
# pages), examples/ (the sample site) and the package itself.
SDIST_SUBSET = ["tests/shared", "tests/feeds", "tests/discovery", "tests/test_end_to_end.py"]
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
EXTRAS = {
    "redis",
    "web",
    "metrics",
    "truststore",
    "backfill",
    "django",
    "flask",
    "isso",
    "pelican",
    "celery",
    "all",
}


@dataclass(frozen=True)
class Built:
    sdist: Path
    wheel: Path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    pytest.importorskip("build", reason="the test dependency group brings build")
    out = tmp_path_factory.mktemp("dist")
    # From a copy without what a working tree collects: setuptools would take the file list of
    # a stale commentluv.egg-info (an editable install's) instead of MANIFEST.in's.
    source = tmp_path_factory.mktemp("source") / "commentluv"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*UNTRACKED))
    # Without isolation: the test environment's setuptools (>= 77, from the test group) builds
    # offline; .ci/run builds with isolation too.
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)],
        check=True,
        capture_output=True,
    )
    (sdist,) = out.glob("commentluv-*.tar.gz")
    (wheel,) = out.glob("commentluv-*.whl")
    return Built(sdist, wheel)


def wheel_metadata(wheel: Path) -> Message:
    with zipfile.ZipFile(wheel) as archive:
        return email.parser.Parser().parsestr(
            archive.read(f"commentluv-{__version__}.dist-info/METADATA").decode()
        )


def development_status(version: str) -> str:
    """The Trove status a version promises: alpha and beta pre-releases and 0.x are not stable."""
    if re.search(r"a\d+$", version):
        return "Development Status :: 3 - Alpha"
    if re.search(r"(b|rc)\d+$", version) or version.startswith("0."):
        return "Development Status :: 4 - Beta"
    return "Development Status :: 5 - Production/Stable"


def test_the_wheel_installs_only_commentluv(built):
    dist_info = f"commentluv-{__version__}.dist-info"
    with zipfile.ZipFile(built.wheel) as archive:
        names = archive.namelist()
        record = archive.read(f"{dist_info}/RECORD").decode()
        top_level = archive.read(f"{dist_info}/top_level.txt").decode().split()
    assert {name.split("/")[0] for name in names} == {"commentluv", dist_info}
    assert {line.split("/")[0] for line in record.splitlines()} == {"commentluv", dist_info}
    assert top_level == ["commentluv"]
    assert "commentluv/py.typed" in names
    assert "commentluv/web/static/commentluv.js" in names


def test_the_wheel_metadata_says_what_the_package_is(built):
    metadata = wheel_metadata(built.wheel)
    classifiers = metadata.get_all("Classifier")
    assert metadata["Version"] == __version__
    assert metadata["License-Expression"] == "MIT"
    assert metadata["Requires-Python"] == f">={PYTHONS[0]}"
    assert [
        c for c in classifiers if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    ] == [f"Programming Language :: Python :: {python}" for python in PYTHONS]
    assert [c for c in classifiers if c.startswith("Development Status")] == [
        development_status(__version__)
    ]
    frameworks = {c for c in classifiers if c.startswith("Framework ::")}
    assert {"Framework :: Django", "Framework :: Flask", "Framework :: Celery"} <= frameworks
    assert "Framework :: Pelican :: Plugins" in frameworks
    urls = {entry.split(",")[0] for entry in metadata.get_all("Project-URL")}
    assert urls == {"Homepage", "Documentation", "Source", "Changelog", "Issues"}


def test_test_and_bench_tools_are_not_published_extras(built):
    metadata = wheel_metadata(built.wheel)
    assert set(metadata.get_all("Provides-Extra")) == EXTRAS
    requirements = " ".join(metadata.get_all("Requires-Dist")).lower()
    for tool in ("pytest", "hypothesis", "selenium", "feedfinder2", "starlette", "httpx2", "ruff"):
        assert tool not in requirements


def test_the_version_has_a_changelog_section():
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## \[{re.escape(__version__)}\]", changelog, re.MULTILINE)


def test_the_sdist_carries_every_tracked_file(built):
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout (run from an unpacked sdist)")
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split()
    released = {
        path for path in tracked if not any(fnmatch(path, pattern) for pattern in NOT_RELEASED)
    }
    prefix = f"commentluv-{__version__}/"
    with tarfile.open(built.sdist) as archive:
        shipped = {name.removeprefix(prefix) for name in archive.getnames()}
    missing = sorted(released - shipped)
    assert not missing, f"add them to MANIFEST.in (or to NOT_RELEASED): {missing}"
    assert {"tests/fixtures", "tests/support", "examples", "bench", "CHANGELOG.md"} <= shipped


def test_the_sdist_runs_its_own_tests(built, tmp_path):
    with tarfile.open(built.sdist) as archive:
        archive.extractall(tmp_path, filter="data")
    unpacked = tmp_path / f"commentluv-{__version__}"
    # python -m puts the working directory first on sys.path: the sdist's commentluv, not the
    # editable install, is the one under test.
    where = subprocess.run(
        [sys.executable, "-c", "import commentluv; print(commentluv.__file__)"],
        cwd=unpacked,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(unpacked)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *SDIST_SUBSET],
        cwd=unpacked,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert re.search(r"\d{3,} passed", run.stdout)
