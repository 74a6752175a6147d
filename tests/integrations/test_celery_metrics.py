"""The Celery tasks count their refreshes for Prometheus when asked to (no broker needed:
the tasks' functions run here)."""

from __future__ import annotations

import pytest
from celery import Celery

from commentluv import CommentLuv, MemoryCache
from commentluv.integrations.celery import register

prometheus_client = pytest.importorskip("prometheus_client")


def sample(name, **labels) -> float:
    return prometheus_client.REGISTRY.get_sample_value(name, labels) or 0.0


def test_refreshes_done_and_failed_by_kind_are_counted(web, blog):
    web.get("https://gone.example/", status=404)
    cache = MemoryCache()
    tasks = register(
        Celery("metrics_test"),
        lambda: CommentLuv(transport=web.transport, cache=cache),
        metrics=True,
    )
    done, gone, unreachable = (
        sample("commentluv_refreshes_total"),
        sample("commentluv_refresh_failures_total", kind="not_found"),
        sample("commentluv_refresh_failures_total", kind="unreachable"),
    )
    assert tasks.refresh_site.run(blog.site) == "ok"
    assert tasks.refresh_site.run("https://gone.example/") == "not_found"
    assert tasks.refresh_sites.run([blog.site, "https://nowhere.example/"]) == {
        "ok": 1,
        "failed": 1,
    }
    assert sample("commentluv_refreshes_total") == done + 2
    assert sample("commentluv_refresh_failures_total", kind="not_found") == gone + 1
    assert sample("commentluv_refresh_failures_total", kind="unreachable") == unreachable + 1


def test_without_metrics_nothing_is_counted(web, blog):
    tasks = register(Celery("quiet_test"), lambda: CommentLuv(transport=web.transport))
    done = sample("commentluv_refreshes_total")
    assert tasks.refresh_site.run(blog.site) == "ok"
    assert sample("commentluv_refreshes_total") == done
