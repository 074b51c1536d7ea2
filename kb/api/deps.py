"""What routes need, as Annotated dependencies: the registry, the settings, a page, a runner."""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query, Request

from kb.errors import ParameterError, QueryTimeoutError
from kb.query.named import RawValue
from kb.query.registry import Page, Registry
from kb.settings import Settings
from kb.store import Store

T = TypeVar("T")
RESERVED = frozenset({"limit", "offset", "format"})
DEFAULT_PAGE = 100
MAX_OFFSET = 10**9  # past any row the store can hold; larger is refused, never sent on


class Runner:
    """Runs store work in a bounded pool of threads and waits at most the time limit."""

    def __init__(self, workers: int, timeout: float) -> None:
        self.executor = ThreadPoolExecutor(workers, thread_name_prefix="kb-query")
        self.timeout = timeout

    async def __call__(
        self, work: Callable[..., T], *args: object, cancel: threading.Event | None = None
    ) -> T:
        """Run ``work(*args)`` in the pool; past the time limit, give up on it."""
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self.executor, functools.partial(work, *args))
        try:
            return await asyncio.wait_for(future, self.timeout)
        except TimeoutError:
            if cancel is not None:
                cancel.set()  # the worker stops at its next row
            raise QueryTimeoutError(
                f"the query ran past the time limit of {self.timeout:g} s (KB_QUERY_TIMEOUT)"
            ) from None

    def close(self) -> None:
        """Stop taking work; queries already running finish in the background."""
        self.executor.shutdown(wait=False, cancel_futures=True)


def _from_state(name: str) -> Callable[[Request], Coroutine[Any, Any, Any]]:
    """A dependency that hands out what ``create_app`` put in the app's state.

    Dependencies here are coroutines: FastAPI runs a plain function in a worker thread, a
    hop that cost more than the rest of a cached answer.
    """

    async def get(request: Request) -> Any:
        return getattr(request.app.state, name)

    get.__name__ = f"get_{name}"
    return get


async def get_page(
    settings: Annotated[Settings, Depends(_from_state("settings"))],
    limit: Annotated[
        int | None, Query(ge=1, description="Rows per page: 100 by default, at most KB_PAGE_CAP.")
    ] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip.")] = 0,
) -> Page:
    """The page asked for, refused past the page cap."""
    if limit is None:
        return Page(min(DEFAULT_PAGE, settings.page_cap), offset)
    if limit > settings.page_cap:
        raise ParameterError("limit", f"at most {settings.page_cap} rows per page")
    return Page(limit, offset)


async def get_query_params(request: Request) -> dict[str, RawValue]:
    """The query string as named-query parameters: repeated keys become lists."""
    params: dict[str, RawValue] = {}
    for key in request.query_params:
        if key not in RESERVED:
            values = request.query_params.getlist(key)
            params[key] = values if len(values) > 1 else values[0]
    return params


RegistryDep = Annotated[Registry, Depends(_from_state("registry"))]
SettingsDep = Annotated[Settings, Depends(_from_state("settings"))]
StoreDep = Annotated[Store, Depends(_from_state("store"))]
RunnerDep = Annotated[Runner, Depends(_from_state("runner"))]
PageDep = Annotated[Page, Depends(get_page)]
ParamsDep = Annotated[dict[str, RawValue], Depends(get_query_params)]
