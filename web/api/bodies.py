"""Reading request bodies: JSON only, size-capped, no NaN or NUL characters, checked against the same
schemas the OpenAPI description publishes."""

from __future__ import annotations

import json
from typing import Any

from flask import request
from flask_babel import gettext as _
from jsonschema import Draft202012Validator

from engine.errors import FormInvalid
from web.api.openapi import request_schema
from web.api.problems import ApiProblem

JSON_TYPES = ("application/json",)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _has_nul(value: Any) -> bool:
    # Iterative, so a deeply nested body cannot exhaust the stack here either.
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def decode(raw: bytes) -> Any:
    """A JSON document from bytes; ValueError with a reason a person can act on if it is not one we accept."""
    try:
        document = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise ValueError(_("the JSON is nested too deeply")) from None
    except ValueError as error:  # includes JSONDecodeError and bytes that are not UTF-8
        raise ValueError(str(error)) from None
    # PostgreSQL cannot store NUL in JSON text, and no form needs it.
    if _has_nul(document):
        raise ValueError(_("text must not contain NUL characters"))
    return document


def json_body() -> Any:
    """The request's JSON document, or a 400 problem that says what is wrong with it."""
    if request.mimetype not in JSON_TYPES and not request.mimetype.endswith("+json"):
        raise ApiProblem(400, "not-json", _("Send the body as JSON with the header Content-Type: application/json."))
    raw = request.get_data(cache=False)  # raises 413 past the size limit
    try:
        return decode(raw)
    except ValueError as error:
        raise ApiProblem(400, "not-json", _("The body is not JSON we can accept: %(reason)s.",
                                            reason=str(error))) from None


_VALIDATORS: dict[str, Draft202012Validator] = {}


def _validator(name: str) -> Draft202012Validator:
    """The checker for one request schema, made once: what a body must be does not change with the
    language the descriptions are in."""
    validator = _VALIDATORS.get(name)
    if validator is None:
        validator = _VALIDATORS[name] = Draft202012Validator(request_schema(name))
    return validator


def validated_body(name: str) -> dict[str, Any]:
    """The JSON body checked against the request schema `name` in the OpenAPI description."""
    body = json_body()
    if not isinstance(body, dict):
        raise ApiProblem(400, "bad-request", _("The body must be a JSON object."))
    errors: dict[str, str] = {}
    for error in _validator(name).iter_errors(body):
        path = [str(p) for p in error.absolute_path]
        message = error.message
        if error.validator == "required":
            path.append(error.message.split("'")[1])
            message = _("This field is required.")
        elif error.validator == "additionalProperties":
            extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
            path.append(extra[0] if extra else "")
            message = _("This field is not accepted here.")
        elif error.validator == "type":
            message = _("This field must be a JSON %(type)s.", type=error.validator_value)
        errors.setdefault(".".join(p for p in path if p) or "body", message)
    if errors:
        raise FormInvalid(errors)
    return body
