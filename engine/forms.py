"""Task forms are JSON Schema (draft 2020-12): the server validates every submission against them."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from engine.errors import FormInvalid

_FORMATS = Draft202012Validator.FORMAT_CHECKER


def schema_problems(schema: Any) -> list[str]:
    """Why a form schema is not valid, or an empty list."""
    if not isinstance(schema, dict):
        return ["A form schema must be a JSON object."]
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        return [f"The form schema is not valid JSON Schema: {error.message}"]
    return []


def validate(schema: dict[str, Any] | None, data: Any) -> dict[str, Any]:
    """Return the data if it satisfies the schema; otherwise raise `FormInvalid` naming each field."""
    if not isinstance(data, dict):
        raise FormInvalid({"data": "The submitted data must be a JSON object of fields."})
    if not schema:
        return data
    errors: dict[str, str] = {}
    for error in sorted(Draft202012Validator(schema, format_checker=_FORMATS).iter_errors(data),
                        key=lambda e: list(e.absolute_path)):
        field = _field_of(error)
        errors.setdefault(field, _message(error, schema))
    if errors:
        raise FormInvalid(errors)
    return data


def _field_of(error: Any) -> str:
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        path = [*error.absolute_path, missing]
    else:
        path = list(error.absolute_path)
    return ".".join(str(p) for p in path if p != "") or "data"


def _message(error: Any, schema: dict[str, Any]) -> str:
    field = _field_of(error)
    title = schema.get("properties", {}).get(field.split(".")[0], {}).get("title", field)
    match error.validator:
        case "required":
            return f"Answer “{title}”."
        case "enum":
            return f"Choose one of the options for “{title}”."
        case "type":
            return f"“{title}” must be {_a(error.validator_value)}."
        case "maxLength":
            return f"“{title}” must be {error.validator_value} characters or fewer."
        case "minLength":
            return f"Answer “{title}”." if error.validator_value == 1 else \
                f"“{title}” must be at least {error.validator_value} characters."
        case "format":
            return f"“{title}” must be a valid {error.validator_value}."
        case "minimum" | "exclusiveMinimum":
            return f"“{title}” must be {error.validator_value} or more."
        case "maximum" | "exclusiveMaximum":
            return f"“{title}” must be {error.validator_value} or less."
        case "additionalProperties":
            return f"The form has no field called {error.message.split(chr(39))[1]!r}." \
                if "'" in error.message else "The form has fields it does not expect."
    return f"“{title}”: {error.message}"


def _a(kind: Any) -> str:
    names = {"string": "text", "integer": "a whole number", "number": "a number", "boolean": "yes or no",
             "array": "a list", "object": "a group of answers"}
    if isinstance(kind, list):
        return " or ".join(names.get(k, k) for k in kind)
    return names.get(kind, str(kind))
