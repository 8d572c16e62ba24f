"""The OpenAPI document as clients and the fuzzer read it: every answer Herald can give is declared.

FastAPI documents a route's success and its own 422 (as ``application/json``); Herald answers every error
as ``application/problem+json``. After FastAPI builds the document, this adds to every operation a
``default`` problem answer (any status not listed: 400, 401, 404, 409, 413, ...), gives 422 the problem
shape, and registers the models that request bodies described by hand refer to.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from herald.api.native.problems import PROBLEM_JSON
from herald.api.native.routing import PROBLEM_SCHEMA

COMPONENTS = "#/components/schemas/{model}"
DEFAULT_PROBLEM = {
    "description": "An error: RFC 9457 problem details (400 invalid input, 401 no or a bad API key, "
    "404 not found or another account's, 409 conflict, 413 too large, ...)",
    "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
}
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def component_schemas(*models: type[BaseModel]) -> dict[str, Any]:
    """The models (and the models they refer to) as component schemas, for hand-written bodies."""
    schemas: dict[str, Any] = {}
    for model in models:
        schema = model.model_json_schema(ref_template=COMPONENTS)
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return schemas


def install(
    app: FastAPI,
    *,
    extra_models: tuple[type[BaseModel], ...] = (),
    other_dialects: tuple[dict[str, Any], ...] = (),
) -> None:
    """Replace ``app.openapi`` with one that declares every error answer (built once, then cached), and
    describes the other dialects' endpoints from their own documents (paths, tags, security schemes)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            webhooks=app.webhooks.routes,
            tags=app.openapi_tags,
        )
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas.update(component_schemas(*extra_models))
        schemas["Problem"] = PROBLEM_SCHEMA
        for item in document.get("paths", {}).values():
            for method in METHODS:
                operation = item.get(method)
                if operation is None:
                    continue
                responses = operation.setdefault("responses", {})
                if "422" in responses:
                    responses["422"] = {
                        "description": "The request does not match the schema",
                        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
                    }
                responses.setdefault("default", DEFAULT_PROBLEM)
        for other in other_dialects:
            document["paths"].update(other["paths"])
            document.setdefault("tags", []).extend(other.get("tags", []))
            for section, entries in other.get("components", {}).items():
                document["components"].setdefault(section, {}).update(entries)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
