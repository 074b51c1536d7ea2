"""Page routes: they match only the requests that want a page (``kb.api.negotiation``)."""

from __future__ import annotations

from fastapi.routing import APIRoute
from starlette.routing import Match
from starlette.types import Scope

from kb.api.negotiation import wants_page


class PageRoute(APIRoute):
    """A route that matches only when ``wants_page``: the API's route answers the rest."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """Match as a route does, but only a browser's request for a page."""
        if scope["type"] == "http" and not wants_page(scope):
            return Match.NONE, {}
        return super().matches(scope)
