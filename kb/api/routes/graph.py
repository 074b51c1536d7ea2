"""The concept co-occurrence network, as node-link JSON or GraphML."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from kb.api.deps import RegistryDep, RunnerDep
from kb.api.models import Envelope, Meta
from kb.query.analytics import read_network, to_graphml, to_node_link

router = APIRouter(tags=["graph"])
GRAPHML = "application/graphml+xml"


@router.get(
    "/graph/cooccurrence",
    summary="Concepts asserted together: the network with centrality and communities",
    response_model=Envelope[dict[str, Any]],
    responses={200: {"content": {GRAPHML: {}}}},
)
async def cooccurrence(
    registry: RegistryDep,
    runner: RunnerDep,
    format: Annotated[Literal["json", "graphml"], Query(description="json or graphml.")] = "json",
    polarity: Annotated[Literal["present", "absent"], Query()] = "present",
    min_articles: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    include_retracted: Annotated[bool, Query()] = False,
) -> Envelope[dict[str, Any]] | Response:
    """Build the network from the ``concept-pairs`` and ``concepts`` queries."""
    params = {
        "polarity": polarity,
        "min_articles": min_articles,
        "include_retracted": include_retracted,
    }
    graph = await runner(read_network, registry, params)
    if format == "graphml":
        return Response(await runner(to_graphml, graph), media_type=GRAPHML)
    meta = Meta(params=params, total=graph.number_of_nodes(), generation=registry.store.generation)
    return Envelope(data=to_node_link(graph), meta=meta)
