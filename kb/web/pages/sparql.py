"""The SPARQL editor (YASGUI, served from the package) and the OpenAPI document's page.

The editor's prefix and term completion asks this server (``/sparql/prefixes.json`` and
``/sparql/terms``), never prefix.cc or LOV. A query in the URL is also answered on the
server, as a table with labels, so the page works without JavaScript.
"""

from __future__ import annotations

import json
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from kb.api.deps import RegistryDep, RunnerDep, SettingsDep, StoreDep
from kb.iris import PREFIXES, concept_id
from kb.query.protocol import Asked, respond
from kb.query.registry import bind_params, prepare
from kb.vocabulary import get_concepts
from kb.web.pages.common import page_router, refusals_as_pages
from kb.web.render import STATIC, render
from kb.web.terms import matching_terms

router = page_router()
plain = APIRouter(include_in_schema=False)

STARTER = """PREFIX tc: <https://w3id.org/tckb/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>

# The misdiagnoses of the cases, most frequent first.
SELECT ?taken_for (COUNT(DISTINCT ?case) AS ?cases) WHERE {
  ?case tc:trajectoryStep/tc:takenFor ?taken_for .
}
GROUP BY ?taken_for
ORDER BY DESC(?cases)
"""
ROWS_SHOWN = 500


@router.get("/sparql", response_class=HTMLResponse)
@refusals_as_pages
async def editor(
    request: Request,
    registry: RegistryDep,
    store: StoreDep,
    settings: SettingsDep,
    runner: RunnerDep,
    query: Annotated[str, Query(max_length=100_000)] = "",
) -> HTMLResponse:
    """The editor, and the answer of the query in the URL as a table with labels."""
    answer = None
    if query.strip():
        asked = Asked(
            query,
            row_cap=min(settings.row_cap, ROWS_SHOWN),
            byte_cap=settings.answer_bytes,
            fmt=["json"],
        )
        cancel = threading.Event()
        result, _ = await runner(lambda: respond(store, asked, cancel), cancel=cancel)
        answer = labelled(json.loads(result.data), result.truncated)
    examples = {}
    for name, named in sorted(registry.queries.items()):
        if not any(p.required or p.multiple for p in named.params.values()):
            examples[name] = (named.summary, prepare(named, bind_params(named, {})))
    context = {
        "query": query or STARTER,
        "answer": answer,
        "examples": examples,
        "vendored": (STATIC / "vendor" / "yasgui" / "yasgui.min.js").exists(),
    }
    return render(request, "sparql.html", context)


# ``/query`` is the editor under the name other SPARQL servers give it, whatever is accepted.
plain.add_api_route("/query", editor, methods=["GET"], response_class=HTMLResponse)


@plain.get("/sparql/prefixes.json")
async def prefixes() -> JSONResponse:
    """The prefixes the editor completes, as prefix.cc's API gives them."""
    return JSONResponse(PREFIXES)


@plain.get("/sparql/terms")
async def terms(
    q: Annotated[str, Query(max_length=200)] = "",
    type: Annotated[str, Query(pattern="^(class|property)$")] = "class",
) -> JSONResponse:
    """The ontology's classes or properties and the vocabulary's concepts matching ``q``.

    As LOV's autocomplete answers the editor: the completions are full IRIs.
    """
    return JSONResponse(matching_terms(q, type))


@plain.get("/docs", response_class=HTMLResponse)
async def docs(request: Request) -> HTMLResponse:
    """The OpenAPI document, browsable, with Swagger UI's files from the package."""
    return render(request, "docs.html", {})


def labelled(results: dict[str, Any], truncated: bool) -> dict[str, Any]:
    """A SPARQL JSON answer as a table: concept IRIs shown with their labels.

    >>> answer = labelled({"head": {"vars": ["c", "n"]}, "results": {"bindings": [
    ...     {"c": {"type": "uri", "value": "https://w3id.org/tckb/concept/region/lumbar"},
    ...      "n": {"type": "literal", "value": "3"}}]}}, False)
    >>> answer["rows"][0][0]
    {'text': 'lumbar spine', 'href': '/concepts/region/lumbar', 'title': 'https://w3id.org/tckb/concept/region/lumbar'}
    """
    if "boolean" in results:
        return {"columns": ["answer"], "rows": [[{"text": str(results["boolean"]).lower()}]],
                "truncated": False}  # fmt: skip
    columns = list(results.get("head", {}).get("vars", []))
    concepts = get_concepts()
    rows = []
    for binding in results.get("results", {}).get("bindings", []):
        row = []
        for column in columns:
            term = binding.get(column)
            if term is None:
                row.append({"text": ""})
                continue
            value = str(term.get("value", ""))
            cid = concept_id(value) if term.get("type") == "uri" else None
            if cid and cid in concepts:
                row.append({"text": concepts[cid].pref_label, "href": f"/concepts/{cid}",
                            "title": value})  # fmt: skip
            else:
                row.append({"text": _compact(value) if term.get("type") == "uri" else value})
        rows.append(row)
    return {"columns": columns, "rows": rows, "truncated": truncated}


def _compact(iri: str) -> str:
    for prefix, base in PREFIXES.items():
        if iri.startswith(base):
            return f"{prefix}:{iri[len(base) :]}"
    return iri
