"""``path("commentluv/", include("commentluv.integrations.django.urls"))``: the service's
``recent``, ``backlink``, ``commentluv.js`` and ``commentluv.css`` under that prefix."""

from __future__ import annotations

from django.urls import path, re_path

from .views import service

app_name = "commentluv"

urlpatterns = [
    path("", service, name="root"),
    re_path(
        r"^(?P<endpoint>recent|backlink|commentluv\.js|commentluv\.css)$", service, name="service"
    ),
]
