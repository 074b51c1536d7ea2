"""What every request goes through before a route: limits, HEAD, redirects, kept answers.

Plain ASGI middleware, so a limit holds while the body is read, before any route or parser
sees it.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from kb.errors import TooLargeError, TooSlowError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyLimit:
    """Refuse a request body past ``max_bytes``, answered 413, or one that stalls, 408.

    A Content-Length past the limit is refused before anything is read; a body sent without
    one is cut as soon as the bytes read pass the limit; a body that sends nothing for
    ``pause`` seconds is given up.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, pause: float | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.pause = pause

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, its body counted."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", ())).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _refuse(scope, send, self.max_bytes)
            return
        seen, exceeded, refused = 0, False, False

        async def limited() -> Message:
            nonlocal seen, exceeded
            try:
                async with asyncio.timeout(self.pause):  # no task, unlike wait_for
                    message = await receive()
            except TimeoutError:
                raise TooSlowError(
                    f"the request body paused for more than {self.pause:g} s (KB_BODY_TIMEOUT)"
                ) from None
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    exceeded = True
                    raise TooLargeError(_too_large(self.max_bytes))
            return message

        async def guarded(message: Message) -> None:
            # Whatever the app answers to a body cut short, the answer is the 413.
            nonlocal refused
            if not exceeded:
                await send(message)
            elif not refused:
                refused = True
                await _refuse(scope, send, self.max_bytes)

        try:
            await self.app(scope, limited, guarded)
        except TooLargeError:
            if not refused:
                await _refuse(scope, send, self.max_bytes)


def _too_large(limit: int) -> str:
    return f"the request body is larger than {limit:,} bytes (KB_MAX_BODY_BYTES)"


async def _refuse(scope: Scope, send: Send, limit: int) -> None:
    """Answer 413 as problem details, without reading the body."""
    import json

    from kb.iris import problem_iri

    body = json.dumps(
        {
            "type": problem_iri(TooLargeError.kind).value,
            "title": TooLargeError.title,
            "status": 413,
            "detail": _too_large(limit),
            "instance": scope.get("path", ""),
        }
    ).encode()
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class HeadAsGet:
    """Answer HEAD wherever GET is answered: the same status and headers, no body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a HEAD request as the GET, less the body."""
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


class SlashRedirect:
    """Redirect a path with a trailing slash to the one without, by a relative Location.

    The Host header never makes it into the answer, so a forged one cannot send a client
    elsewhere.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Redirect a trailing slash away, or pass the request on."""
        path: str = scope.get("path", "")
        if scope["type"] != "http" or len(path) < 2 or not path.endswith("/"):
            await self.app(scope, receive, send)
            return
        target = path.rstrip("/") or "/"
        if not target.startswith("//"):  # never a scheme-relative URL to another host
            query = scope.get("query_string", b"").decode("latin-1")
            location = target + (f"?{query}" if query else "")
            headers = [(b"location", location.encode("utf-8")), (b"content-length", b"0")]
            await send({"type": "http.response.start", "status": 308, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        await self.app(scope, receive, send)


# The cookie a curator signed in on the pages holds: their token (the session is the token).
SESSION_COOKIE = "kb_curator"


def _signed_in(scope: Scope) -> bool:
    """Whether a request carries a curator's session: its pages are theirs, never kept."""
    cookies = b";".join(v for k, v in scope["headers"] if k == b"cookie")
    return f"{SESSION_COOKIE}=".encode() in cookies


class AnswerCache:
    """Keep whole successful answers to GET requests under ``prefixes``, as they were sent.

    An answer is kept for the store's write generation it was computed at (``generation()``),
    keyed by the path, the query string and the Accept header, and handed out again without
    routing, parameter checks or serialisation until the store changes: the named queries'
    answers are already cached, and this saves the work around them. An answer marked
    ``Cache-Control: no-store`` (a page drawn while the case index was still being read) is
    not kept, and a signed-in curator's requests pass by. Answers of at most
    ``max_bytes`` each are kept, at most ``entries`` of them and ``budget`` bytes in all, the
    least recently used dropped first.
    """

    def __init__(
        self,
        app: ASGIApp,
        generation: Callable[[], int],
        prefixes: tuple[str, ...],
        entries: int = 2048,
        max_bytes: int = 1 << 20,
        budget: int = 64 << 20,
    ) -> None:
        self.app = app
        self.generation = generation
        self.prefixes = prefixes
        self.budget = budget
        self._bytes = 0
        self.entries = entries
        self.max_bytes = max_bytes
        self._kept: OrderedDict[tuple[object, ...], tuple[Message, bytes]] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer from the kept answers, or pass the request on and keep what it gives."""
        path: str = scope.get("path", "")
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not path.startswith(self.prefixes)
            or _signed_in(scope)
        ):
            await self.app(scope, receive, send)
            return
        accept = next((v for k, v in scope["headers"] if k == b"accept"), b"")
        generation = self.generation()
        key = (generation, path, scope.get("query_string", b""), accept)
        kept = self._kept.get(key)
        if kept is not None:
            self._kept.move_to_end(key)
            start, body = kept
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        start_message: Message | None = None
        chunks: list[bytes] | None = []

        async def keep(message: Message) -> None:
            nonlocal start_message, chunks
            if message["type"] == "http.response.start":
                stored = b"no-store" not in dict(message.get("headers", [])).get(
                    b"cache-control", b""
                )
                start_message = message if message["status"] == 200 and stored else None
            elif message["type"] == "http.response.body" and chunks is not None:
                chunks.append(message.get("body", b""))
                if sum(map(len, chunks)) > self.max_bytes:
                    chunks = None
                elif (
                    not message.get("more_body", False)
                    and start_message is not None
                    and self.generation() == generation  # no write landed meanwhile
                ):
                    self._keep(key, start_message, b"".join(chunks))
            await send(message)

        await self.app(scope, receive, keep)

    def _keep(self, key: tuple[object, ...], start: Message, body: bytes) -> None:
        if key[0] != next(iter(self._kept), (key[0],))[0]:
            self._kept.clear()  # answers of an older generation are never asked for again
            self._bytes = 0
        if key in self._kept:
            self._bytes -= len(self._kept[key][1])
        self._kept[key] = (start, body)
        self._bytes += len(body)
        while len(self._kept) > self.entries or self._bytes > self.budget:
            _, (_, dropped) = self._kept.popitem(last=False)
            self._bytes -= len(dropped)
