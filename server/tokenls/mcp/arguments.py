"""An MCP tool's argument errors as one plain sentence an agent can act on.

The SDK reports arguments that do not match a tool's input schema as pydantic's own text:
several lines, the validator's vocabulary and a documentation URL. An agent corrects its
call faster from a sentence naming the argument, what the tool expects (from the same
schema, so it stays true when a parameter changes) and what was sent instead.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from tokenls.mcp.agent.paths import printable

SHOWN_CHARS = 40  # a longer value sent is described by its type, not quoted


class ArgumentProblem(Exception):
    """Arguments that each match the schema but not together (``path`` and ``text``)."""


def argument_sentence(
    tool: str, errors: Sequence[Mapping[str, Any]], schema: Mapping[str, Any] | None
) -> str:
    """The first of pydantic's ``errors`` (``ValidationError.errors()``) for ``tool``'s
    arguments as one sentence; how many more there were, in brackets."""
    if not errors:
        return f"{tool}: the arguments do not match the tool's input schema."
    first = errors[0]
    loc = [part for part in first.get("loc", ()) if part != tool]
    name = _where(loc)
    properties = (schema or {}).get("properties", {})
    wanted = _expected(_schema_at(properties, loc)) if loc else "an object of named arguments"
    more = len(errors) - 1
    also = f" (and {more} more argument error{'s' if more > 1 else ''})" if more else ""
    if first.get("type") == "missing":
        return f"{tool}: argument {name} is required: {wanted}{also}."
    if first.get("type") == "extra_forbidden":
        known = ", ".join(f'"{key}"' for key in properties)
        return f"{tool}: there is no argument {name}; it takes {known}{also}."
    return f"{tool}: argument {name} must be {wanted}, not {_sent(first.get('input'))}{also}."


def _where(loc: Sequence[Any]) -> str:
    """``paths[0]``, quoted: the argument, and the item within it."""
    text = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
    return json.dumps(printable(text.lstrip(".")) or "arguments")


def _schema_at(properties: Mapping[str, Any], loc: Sequence[Any]) -> Mapping[str, Any]:
    """The schema of the value at ``loc``, with the argument's description when the value
    is an item of it (the item schema has none)."""
    schema: Mapping[str, Any] = properties.get(str(loc[0]), {})
    described = schema.get("description")
    for part in loc[1:]:
        if isinstance(part, int):
            schema = schema.get("items", {})
        else:
            schema = schema.get("properties", {}).get(part, {})
    if described and "description" not in schema:
        schema = {**schema, "description": described}
    return schema


def _expected(schema: Mapping[str, Any]) -> str:
    """What the schema accepts, in words, with the first clause of its description."""
    described = str(schema.get("description", "")).split(" (")[0].strip()
    kind = _kind(schema, bounded="at least" in described)
    return f"{kind} ({described})" if described else kind


def _kind(schema: Mapping[str, Any], bounded: bool = False) -> str:
    """The type in words; ``bounded``: the description states the minimum already."""
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        kinds = [_kind(option, bounded) for option in options if option.get("type") != "null"]
        return " or ".join(dict.fromkeys(kinds)) or "null"
    if "enum" in schema:
        values = [json.dumps(value) for value in schema["enum"]]
        return values[0] if len(values) == 1 else f"one of {', '.join(values)}"
    if "const" in schema:
        return json.dumps(schema["const"])
    kind = schema.get("type")
    if kind == "array":
        item = _kind(schema.get("items", {}))
        items = (
            f"{item.removeprefix('a ').removeprefix('an ')}s" if item.startswith("a") else "items"
        )
        least = schema.get("minItems") or 0
        if least > 1:
            return f"a list of at least {least} {items}"
        return f"a list of {'one or more ' if least == 1 else ''}{items}"
    if kind == "integer":
        least = schema.get("minimum")
        return "a whole number" + (
            f" of at least {least}" if least is not None and not bounded else ""
        )
    return {
        "string": "a string",
        "number": "a number",
        "boolean": "true or false",
        "object": "an object",
    }.get(str(kind), "a value of another type")


def _sent(value: Any) -> str:
    """What the caller sent, briefly: short values quoted, the rest by their type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int | float):
        text = json.dumps(value)
        return f"the number {text}" if len(text) <= SHOWN_CHARS else "a number that long"
    if isinstance(value, str):
        if not value:
            return "an empty string"
        if len(value) > SHOWN_CHARS:
            return f"a string of {len(value):,} characters"
        return f"the string {json.dumps(printable(value), ensure_ascii=False)}"
    if isinstance(value, list | tuple):
        count = len(value)
        return (
            "an empty list" if not count else f"a list of {count:,} item{'s' if count > 1 else ''}"
        )
    if isinstance(value, Mapping):
        return "an object"
    return f"a {type(value).__name__}"
