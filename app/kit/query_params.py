"""Query strings validated straight into a pydantic model: fast, and still in the OpenAPI document.

FastAPI can read a query string into a model (``Annotated[Model, Query()]``), but it
re-inspects every field's annotation on every request: about half a millisecond for a dozen
parameters, a measurable share of a discovery request. ``query_model(Model)`` builds a
dependency that hands the query string to pydantic in one call instead, reports errors
exactly as FastAPI would (422, each error located in ``query``), and ``openapi(Model)``
documents the same parameters.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, get_args, get_origin

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def query_model(model: type[M]) -> Callable[[Request], Awaitable[M]]:
    """A dependency validating ``request.query_params`` into ``model`` (repeated keys for list fields)."""
    lists = frozenset(name for name, field in model.model_fields.items() if _is_list(field.annotation))

    # async although it never awaits: FastAPI runs plain functions in a thread pool, and the
    # hand-off would cost more than the validation.
    async def parse(request: Request) -> M:
        params = request.query_params
        raw: dict[str, Any] = {key: params.getlist(key) if key in lists else params[key] for key in params}
        try:
            return model.model_validate(raw)
        except ValidationError as exc:
            errors = [{**error, "loc": ("query", *error["loc"])} for error in exc.errors(include_url=False)]
            raise RequestValidationError(errors) from None

    return parse


def openapi(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` declaring ``model``'s fields as query parameters."""
    schema = model.model_json_schema()
    required = set(schema.get("required", ()))
    parameters = []
    for name, prop in schema["properties"].items():
        description = prop.pop("description", None)
        parameter: dict[str, Any] = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if description:
            parameter["description"] = description
        if prop.get("type") == "array":
            parameter.update(style="form", explode=True)
        parameters.append(parameter)
    return {"parameters": parameters}


def _is_list(annotation: Any) -> bool:
    if get_origin(annotation) is list:
        return True
    return any(_is_list(arg) for arg in get_args(annotation))
