"""Big exports stream: reading a WXR file of tens of MB, and writing its copy, keep the memory
of a process flat (measured as the peak RSS of a child process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT
from tests.support.backfill import write_big_export, write_big_wxr

# The measuring helpers of each child process.
MEASURE = """
import json, sys
sys.path.insert(0, {here!r})

def status_mb(field):
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(field + ":"))
    return int(line.split()[1]) / 1024

def reset_peak():
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # the peak RSS starts again from the current RSS
"""

CHILD = (
    MEASURE
    + """
from commentluv.backfill import BackfillResult, read_wxr, write_wxr

def results():
    for index, comment in enumerate(read_wxr({path!r})):
        yield BackfillResult(index, comment.id, comment.author, comment.url, None, "no_url")

reset_peak()
base = status_mb("VmRSS")
count = sum(1 for _ in read_wxr({path!r}))
reading = status_mb("VmHWM") - base
reset_peak()
base = status_mb("VmRSS")
written = write_wxr({path!r}, {target!r}, results())
writing = status_mb("VmHWM") - base
print("MEASURED", json.dumps({{"count": count, "written": written, "reading": reading,
                              "writing": writing}}))
"""
)


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc")
def test_reading_and_copying_a_big_export_keeps_memory_flat(tmp_path):
    path, target = tmp_path / "big.xml", tmp_path / "copy.xml"
    comments = write_big_wxr(
        path, items=6500, comments_per_item=6, sites=200, site_url="http://blogs.example"
    )
    size_mb = path.stat().st_size / 1024**2
    assert size_mb > 25
    code = CHILD.format(here=str(ROOT), path=str(path), target=str(target))
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True
    )
    measured = json.loads(result.stdout.split("MEASURED", 1)[1])
    print(f"{size_mb:.0f} MB export, peak RSS growth (MB): {measured}")
    assert measured["count"] == measured["written"] == comments
    # A whole tree of this file would take about four times its size (lxml.etree.parse of a
    # 37 MB export: +113 MB); streaming takes a few MB whatever the size.
    assert measured["reading"] < 8, measured
    assert measured["writing"] < 12, measured
    assert target.stat().st_size > path.stat().st_size


READERS_CHILD = (
    MEASURE
    + """
from commentluv.backfill import read_comments

measured = {{}}
for path in {paths!r}:
    reset_peak()
    base = status_mb("VmRSS")
    count = sum(1 for _ in read_comments(path))
    measured[path] = {{"count": count, "reading": status_mb("VmHWM") - base}}
print("MEASURED", json.dumps(measured))
"""
)


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc")
def test_reading_big_blogger_and_movable_type_exports_keeps_memory_flat(tmp_path):
    sizes, expected = {}, {}
    for shape, name in (("classic", "blog.xml"), ("takeout", "feed.atom"), ("mt", "mt.txt")):
        path = str(tmp_path / name)
        expected[path] = write_big_export(
            path, shape, posts=7000, per_post=5, sites=200, site_url="http://blogs.example"
        )
        sizes[path] = Path(path).stat().st_size / 1024**2
        assert sizes[path] > 18
    code = READERS_CHILD.format(here=str(ROOT), paths=list(sizes))
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True
    )
    measured = json.loads(result.stdout.split("MEASURED", 1)[1])
    for path, got in measured.items():
        print(f"{Path(path).name}: {sizes[path]:.0f} MB, {got}")
        assert got["count"] == expected[path]
        assert got["reading"] < 8, (path, got)
