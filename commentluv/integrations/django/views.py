"""The comment-form service (:func:`commentluv.web.make_app`) answering inside Django."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from ..common import call_service
from . import conf

__all__ = ["service"]


@csrf_exempt  # the service answers GET, HEAD and OPTIONS only; it never changes state
def service(request: HttpRequest, endpoint: str = "") -> HttpResponse:
    reply = call_service(conf.service(), request.META, "/" + endpoint)
    response = HttpResponse(reply.body, status=reply.status)
    for name, value in reply.headers:
        response[name] = value
    return response
