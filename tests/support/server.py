"""A real uvicorn server on 127.0.0.1 for tests: start an ASGI app in a thread, get its URL.

    with serve(create_app(store, queries, settings)) as url:
        httpx.get(f"{url}/health")

The socket is bound before the server starts (port 0: the system picks a free port), so the
URL is known and already accepting when ``serve`` yields.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


@contextmanager
def serve(app: Any, *, startup_timeout: float = 10.0, **options: Any) -> Iterator[str]:
    """Serve ``app`` on a free loopback port for the duration of the block; yield its base URL.

    ``options`` go to uvicorn's Config (``kb serve``'s connection limits, for one).
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False, **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


def assert_problem(response: Any, status: int, *, parameter: str | None = None) -> dict[str, Any]:
    """Check that a response is the API's one error shape (RFC 9457) with this status."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert set(problem) >= PROBLEM_KEYS, problem
    assert set(problem) <= PROBLEM_KEYS | {"parameter"}, problem
    assert problem["status"] == status
    assert problem["title"] and problem["detail"]
    assert problem["instance"] == response.request.url.path
    if parameter is not None:
        assert problem["parameter"] == parameter, problem
    return problem


def assert_envelope(response: Any) -> Any:
    """Check that a response is the API's one success shape ({data, meta}); return the data."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"data", "meta"}, body
    assert isinstance(body["meta"], dict)
    return body["data"]
