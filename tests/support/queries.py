"""Example values for named query parameters, as the query and API tests ask them."""

from __future__ import annotations

from kb.query.named import NamedQuery

EXAMPLES: dict[str, object] = {
    "concept": "finding/t1-hypointense",
    "pmid": "11474353",
    "present": ["finding/t1-hypointense", "finding/t2-hypointense"],
    "absent": ["finding/contrast-enhancement"],
    "text": "calcinosis",
}


def example_params(query: NamedQuery, every: bool = False) -> dict[str, object]:
    """Values for the required and list params; with ``every``, a value for each param."""
    values: dict[str, object] = {}
    for name, param in query.params.items():
        if name in EXAMPLES and (param.required or param.multiple or every):
            values[name] = EXAMPLES[name]
        elif param.type == "concept" and (param.required or every):
            values[name] = EXAMPLES["concept"]
        elif param.type == "pmid" and (param.required or param.multiple or every):
            values[name] = [EXAMPLES["pmid"]] if param.multiple else EXAMPLES["pmid"]
        elif param.type == "integer" and param.required:
            values[name] = param.minimum or 1
        elif every and param.enum:
            values[name] = param.enum[0]
        elif every and param.type == "boolean":
            values[name] = True
        elif every and param.type == "integer":
            values[name] = param.minimum or 1
    return values
