"""Query strings validated straight into a pydantic model: fast, strict, and in the OpenAPI document.

FastAPI can read a query string into a model (``Annotated[Model, Query()]``), but it
re-inspects every field's annotation on every request: about half a millisecond for a dozen
parameters, a measurable share of a discovery request. ``query_model(Model)`` builds a
dependency that hands the query string to pydantic in one call instead, reports errors as
FastAPI would (422, each error located in ``query`` and named by its parameter), and
``openapi(Model)`` documents the same parameters.

A field whose type is itself a model (``filters: Filters``) is *flattened*: its fields are
parameters of the query string like the others, so one declaration of the discovery filters
serves every route that embeds it. ``parse_query`` is the one reading of a query string, shared
with the tiles (which answer 400 instead of 422):

- percent-escapes are decoded as strict UTF-8: an invalid sequence (a lone surrogate's
  ``%ED%A0%80``) is refused, where the standard library would quietly turn it into U+FFFD;
- a parameter that is not a list may be given once;
- names the model does not declare are refused (``extra="forbid"`` on every query model).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar, get_args, get_origin
from urllib.parse import unquote_to_bytes

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from app.errors import InvalidParameter

M = TypeVar("M", bound=BaseModel)


def query_pairs(query_string: bytes) -> list[tuple[str, str]]:
    """The ``name=value`` pairs of a raw query string, decoded (``+`` is a space), or ``InvalidParameter``."""
    pairs = []
    for part in query_string.split(b"&"):
        if not part:
            continue
        raw_name, _, raw_value = part.partition(b"=")
        name = _decode(raw_name, None)
        pairs.append((name, _decode(raw_value, name)))
    return pairs


def _decode(raw: bytes, name: str | None) -> str:
    octets = unquote_to_bytes(raw.replace(b"+", b" "))
    try:
        return octets.decode("utf-8")
    except UnicodeDecodeError:
        what = f"{name}: the value" if name is not None else "a parameter name"
        raise InvalidParameter(f"{what} is not valid UTF-8 once percent-decoded", param=name) from None


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where each parameter of a model goes: repeated or not, at the top or in a flattened field."""

    lists: frozenset[str]
    nested: dict[str, str]  # parameter -> the field of the flattened model that holds it
    containers: frozenset[str]  # the flattened fields: names of the model, not of the query string


@cache
def _layout(model: type[BaseModel]) -> _Layout:
    lists: set[str] = set()
    nested: dict[str, str] = {}
    for name, field in model.model_fields.items():
        inner = _flattened(field.annotation)
        if inner is None:
            if _is_list(field.annotation):
                lists.add(field.alias or name)
            continue
        layout = _layout(inner)
        lists |= layout.lists
        for parameter, field_info in ((f.alias or n, f) for n, f in inner.model_fields.items()):
            assert _flattened(field_info.annotation) is None, "one level of flattening"
            nested[parameter] = name
    return _Layout(frozenset(lists), nested, frozenset(nested.values()))


class QueryError(ValueError):
    """The query string does not fit the model: each error as (parameter, message, pydantic error type)."""

    def __init__(self, errors: list[tuple[str | None, str, str]]) -> None:
        super().__init__(errors[0][1])
        self.errors = errors

    def problem(self) -> InvalidParameter:
        """The first error as a 400 problem naming its parameter."""
        param, message, _ = self.errors[0]
        return InvalidParameter(f"{param}: {message}" if param else message, param=param)


def parse_query(model: type[M], pairs: list[tuple[str, str]]) -> M:
    """``pairs`` validated into ``model``; ``QueryError``, or ``InvalidParameter`` for a parameter given twice."""
    layout = _layout(model)
    raw: dict[str, Any] = {}
    for name, value in pairs:
        if name in layout.containers:
            raise QueryError([(name, "not a parameter of this request", "extra_forbidden")])
        holder = raw if name not in layout.nested else raw.setdefault(layout.nested[name], {})
        if name in layout.lists:
            holder.setdefault(name, []).append(value)
        elif name in holder:
            raise InvalidParameter(f"{name} may be given once", param=name)
        else:
            holder[name] = value
    try:
        return model.model_validate(raw, by_alias=True, by_name=False)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False, include_context=False)
        raise QueryError([(_parameter(e["loc"], layout), _message(e), e["type"]) for e in errors]) from None


def _message(error: Any) -> str:
    message: str = error["msg"]
    return "not a parameter of this request" if error["type"] == "extra_forbidden" else message


def _parameter(loc: tuple[int | str, ...], layout: _Layout) -> str | None:
    """The query parameter an error's location names (no flattened field, no list index)."""
    names = [part for part in loc if isinstance(part, str)]
    if len(names) > 1 and layout.nested.get(names[1]) == names[0]:
        names = names[1:]
    return names[0] if names else None


def query_model(model: type[M]) -> Callable[[Request], Awaitable[M]]:
    """A dependency validating the request's query string into ``model`` (see the module notes)."""
    _layout(model)  # fail at import, not on the first request, if the model cannot be flattened

    # async although it never awaits: FastAPI runs plain functions in a thread pool, and the
    # hand-off would cost more than the validation.
    async def parse(request: Request) -> M:
        try:
            return parse_query(model, query_pairs(request.scope["query_string"]))
        except QueryError as exc:
            located = [
                {"type": kind, "loc": ("query", param) if param else ("query",), "msg": message}
                for param, message, kind in exc.errors
            ]
            raise RequestValidationError(located) from None

    return parse


def openapi(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` declaring ``model``'s fields (flattened ones included) as query parameters."""
    return {"parameters": _parameters(model)}


def _parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(by_alias=True)
    required = set(schema.get("required", ()))
    flattened = {
        field.alias or name: inner
        for name, field in model.model_fields.items()
        if (inner := _flattened(field.annotation)) is not None
    }
    parameters: list[dict[str, Any]] = []
    for name, prop in schema["properties"].items():
        if name in flattened:
            parameters += _parameters(flattened[name])
            continue
        prop = _query_schema(prop)
        description = prop.pop("description", None)
        parameter: dict[str, Any] = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if description:
            parameter["description"] = description
        if prop.get("type") == "array":
            parameter.update(style="form", explode=True)
        parameters.append(parameter)
    return parameters


def _query_schema(prop: dict[str, Any]) -> dict[str, Any]:
    """A property's schema as a query parameter's: absent rather than null, no title, no null default."""
    branches = prop.get("anyOf")
    if branches and {"type": "null"} in branches:
        rest = [branch for branch in branches if branch != {"type": "null"}]
        outer = {key: value for key, value in prop.items() if key != "anyOf"}
        prop = {**outer, **rest[0]} if len(rest) == 1 else {**outer, "anyOf": rest}
    prop = {key: value for key, value in prop.items() if key != "title"}
    if prop.get("default", "") is None:
        del prop["default"]
    return prop


def _flattened(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds, when its parameters are flattened into the query string."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _is_list(annotation: Any) -> bool:
    if get_origin(annotation) in (list, tuple):
        return True
    return any(_is_list(arg) for arg in get_args(annotation))
