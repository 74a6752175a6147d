"""A Starlette app on AsyncCommentLuv, with the comment-form service mounted at /luv.

    python examples/starlette_service.py --check    # ask it through its test client, print
    python examples/starlette_service.py            # serve it with uvicorn (pip install uvicorn)

``/backlink?url=...&name=...`` awaits ``AsyncCommentLuv.backlink`` (a cached site is answered
on the event loop, a new one in the client's own bounded pool). ``/luv/...`` is the widget's
JSON service (:func:`commentluv.web.make_app`, a WSGI app), called in Starlette's thread
pool. Offline: the commenter's site is the bundled sample blog on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import sys
from collections.abc import AsyncIterator
from typing import Any

from sample_site import example_arguments, serve_sample_site
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from commentluv import AsyncCommentLuv
from commentluv.integrations.common import call_service
from commentluv.web import make_app


def wsgi_environ(request: Request) -> dict[str, Any]:
    """What the service reads of a request, as WSGI spells it."""
    environ = {
        "REQUEST_METHOD": request.method,
        "QUERY_STRING": request.url.query,
        "REMOTE_ADDR": request.client.host if request.client else "",
    }
    for name, value in request.headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


def create_app(luv: AsyncCommentLuv) -> Starlette:
    service = make_app(luv.client)

    async def backlink(request: Request) -> JSONResponse:
        url, name = request.query_params.get("url", ""), request.query_params.get("name", "")
        line = await luv.backlink(name, url, fmt="html")
        return JSONResponse({"backlink": line}, status_code=200 if line else 404)

    async def comment_form_service(request: Request) -> Response:
        path = "/" + request.path_params["path"]
        reply = await run_in_threadpool(call_service, service, wsgi_environ(request), path)
        return Response(reply.body, reply.status, headers=dict(reply.headers))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await luv.aclose()

    return Starlette(
        routes=[
            Route("/backlink", backlink),
            Route("/luv/{path:path}", comment_form_service, methods=["GET", "HEAD", "OPTIONS"]),
        ],
        lifespan=lifespan,
    )


def demo_client() -> AsyncCommentLuv:
    # The sample blog is on loopback: only a demo may allow private hosts.
    return AsyncCommentLuv(
        timeout=2.5, allow_private_hosts=True, choice_secret=secrets.token_bytes(32)
    )


def check(sample_url: str) -> str:
    from starlette.testclient import TestClient

    with TestClient(create_app(demo_client())) as client:
        offer = client.get("/luv/recent", params={"url": sample_url, "limit": "3"}).json()
        line = client.get("/backlink", params={"url": sample_url, "name": "Jaden"}).json()
        titles = [post["title"] for post in offer["posts"]]
        return json.dumps({"recent": titles, **line}, ensure_ascii=False, indent=2)


def main(argv: list[str]) -> int:
    args = example_arguments(argv, __doc__, check="ask the app twice and exit", port=8000)
    with serve_sample_site() as sample_url:
        if args.check:
            print(check(sample_url))
            return 0
        import uvicorn

        print(f"Try http://127.0.0.1:{args.port}/backlink?url={sample_url}&name=Jaden")
        uvicorn.run(create_app(demo_client()), host="127.0.0.1", port=args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
