"""Task forms are JSON Schema (draft 2020-12): the server validates every submission against them."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
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


# --- what the task page can show ------------------------------------------------------------------
# One rule for the renderer (web/schema_form.py) and the form editor's check (engine/form_versions.py):
# a form that passes `rendering_problems` is one every officer can see and complete.

WIDGETS = frozenset({"text", "textarea", "radios", "checkboxes", "date", "select", "file", "number", "email"})
HIDDEN = "hidden"
UI_HINTS = ("widget", "title", "help", "enumNames", "options")
"""What a UI schema may say about a field, each with or without the `ui:` prefix; `options` (such as a
"£" prefix) is accepted and not shown."""
UI_ORDER = "ui:order"
FIELD_TYPES = ("string", "integer", "number", "boolean", "array")
FIELD_KEYWORDS = frozenset({
    "title", "description", "type", "enum", "const", "oneOf", "format", "maxLength", "minLength", "pattern",
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "items", "minItems",
    "maxItems", "uniqueItems", "default", "readOnly", "examples", "$comment", "enumNames",
})
"""Keywords a field may use: each is either shown (title, description, choices) or checked on submit."""
# A field's name is a form input's name and id and a variable that gateways and scripts read.
FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
RESERVED_FIELDS = frozenset({"csrf_token"})
_CHOICE_WIDGETS = frozenset({"radios", "select"})
MAX_SCALE = 11
_SCALAR = (str, int, float, bool)


@dataclass(frozen=True)
class FormIssue:
    """A problem at a place in a form: `document` is "schema" or "uischema", `path` the keys and indexes
    leading to it. `blocks_preview` when the renderer could not even try to show the form."""

    document: str
    path: tuple[str | int, ...]
    message: str
    blocks_preview: bool = False


def field_hints(ui: dict[str, Any] | None, name: str) -> dict[str, Any]:
    """What the UI schema says about one field ({} when it says nothing usable)."""
    hints = (ui or {}).get(name) or {}
    return hints if isinstance(hints, dict) else {}


def hint(hints: dict[str, Any], key: str) -> Any:
    return hints.get(f"ui:{key}", hints.get(key))


def one_of_choices(spec: dict[str, Any]) -> list[dict[str, Any]] | None:
    """A field's `oneOf` when it lists choices (each with a `const`), else None."""
    options = spec.get("oneOf")
    if isinstance(options, list) and options and all(isinstance(o, dict) and "const" in o for o in options):
        return options
    return None


def scale_choices(spec: dict[str, Any]) -> list[int] | None:
    """A whole-number scale (an integer with a minimum and a maximum, at most 11 values, like 1 to 5) is a
    set of choices too, for radios or a select."""
    low, high = spec.get("minimum"), spec.get("maximum")
    if spec.get("type") != "integer" or not all(isinstance(n, int) and not isinstance(n, bool) for n in (low, high)):
        return None
    return list(range(low, high + 1)) if 0 <= high - low < MAX_SCALE else None


def widget_for(spec: dict[str, Any], hints: dict[str, Any]) -> str:
    """The GOV.UK component a field is shown as: the UI schema's choice if it is one we have, else by type."""
    asked = hint(hints, "widget")
    if isinstance(asked, str) and asked in WIDGETS:
        return asked
    kind = spec.get("type")
    if kind == "array":
        return "checkboxes"
    if kind == "boolean" or "enum" in spec or "oneOf" in spec:
        return "radios"
    if spec.get("format") == "date":
        return "date"
    if spec.get("format") == "email":
        return "email"
    if kind in ("integer", "number"):
        return "number"
    if (spec.get("maxLength") or 0) > 200:
        return "textarea"
    return "text"


def metaschema_issues(schema: dict[str, Any], limit: int = 20) -> list[FormIssue]:
    """Where a form breaks the JSON Schema 2020-12 metaschema, each error at its place (not only the first)."""
    validator = Draft202012Validator(Draft202012Validator.META_SCHEMA, format_checker=_FORMATS)
    issues: dict[tuple[tuple[str | int, ...], str], FormIssue] = {}
    for error in sorted(validator.iter_errors(schema), key=lambda e: [str(p) for p in e.absolute_path]):
        # The metaschema is several vocabularies: one mistake can break each of them, saying the same thing.
        issue = FormIssue("schema", tuple(error.absolute_path), _metaschema_message(error), blocks_preview=True)
        issues.setdefault((issue.path, issue.message), issue)
    return list(issues.values())[:limit]


_KINDS = {"object": "a JSON object", "array": "a list", "string": "text", "boolean": "true or false",
          "integer": "a whole number", "number": "a number", "null": "null"}


def _metaschema_message(error: Any) -> str:
    path = list(error.absolute_path)
    if path and path[-1] == "type" and error.validator == "anyOf":
        # The metaschema's own message ("... is not valid under any of the given schemas") says nothing useful.
        return (f"{json.dumps(error.instance)} is not a type. Use one of: string, integer, number, boolean, "
                "array, object.")
    if error.validator == "type":
        kinds = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        return f"This must be {' or '.join(_KINDS.get(k, k) for k in kinds)}."
    if error.validator == "minimum":
        return f"This must be {error.validator_value} or more."
    if error.validator == "uniqueItems":
        return "This list gives the same item more than once."
    if error.validator == "minItems":
        return "This list must not be empty."
    return f"This is not valid JSON Schema: {error.message}"


def rendering_problems(schema: dict[str, Any], ui: dict[str, Any]) -> list[FormIssue]:
    """Everything in a (metaschema-valid) form that the task page could not show or an officer could not
    complete: nested objects, references, unknown widgets, choices without options, required fields that
    are hidden. Empty when every question works."""
    issues: list[FormIssue] = []
    if schema.get("type") != "object":
        issues.append(FormIssue("schema", ("type",), 'A form must be "type": "object", with its questions '
                                "in \"properties\".", blocks_preview=True))
    for keyword in ("$ref", "$dynamicRef"):
        if keyword in schema:
            issues.append(FormIssue("schema", (keyword,), f"The task page cannot follow “{keyword}”: describe "
                                    "each question in \"properties\" itself."))
    properties = schema.get("properties") or {}
    for name, spec in properties.items():
        issues.extend(_field_problems(name, spec, field_hints(ui, name)))
    hidden = {n for n, s in properties.items()
              if not isinstance(s, dict) or s.get("readOnly") or hint(field_hints(ui, n), "widget") == HIDDEN}
    for index, name in enumerate(schema.get("required") or []):
        if name not in properties:
            issues.append(FormIssue("schema", ("required", index), f"“{name}” is required but is not one of "
                                    "the questions in \"properties\"."))
        elif name in hidden:
            issues.append(FormIssue("schema", ("required", index), f"“{name}” is required but hidden, so "
                                    "nobody could complete the task."))
    issues.extend(_layout_problems(ui, properties))
    return issues


def _field_problems(name: str, spec: Any, hints: dict[str, Any]) -> list[FormIssue]:
    where = ("properties", name)
    if not FIELD_NAME.match(name) or name in RESERVED_FIELDS:
        return [FormIssue("schema", where, f"The question name “{name}” cannot be used: start with a letter "
                          "and use only letters, digits and underscores (diagrams read it as a variable).")]
    if not isinstance(spec, dict):
        return [FormIssue("schema", where, f"Describe the question “{name}” as a JSON object, with a "
                          "\"title\" and a \"type\".")]
    kind = spec.get("type")
    if kind is not None and kind not in FIELD_TYPES:
        # Said once: a nested object's own keywords ("properties"…) would only repeat it.
        return [FormIssue("schema", (*where, "type"), f"The question “{name}” cannot be of type "
                          f"{json.dumps(kind)}: use one of {', '.join(FIELD_TYPES)}.")]
    issues = [FormIssue("schema", (*where, keyword), f"The task page cannot show “{keyword}” in the question "
                        f"“{name}”.") for keyword in spec if keyword not in FIELD_KEYWORDS]
    if "oneOf" in spec and one_of_choices(spec) is None:
        issues.append(FormIssue("schema", (*where, "oneOf"), f"“oneOf” in “{name}” must list its choices, each "
                                "an object with a \"const\" (and a \"title\")."))
    for index, value in enumerate(spec.get("enum") or []):
        if not isinstance(value, _SCALAR):
            issues.append(FormIssue("schema", (*where, "enum", index), f"The choices of “{name}” must be "
                                    "text, numbers or true/false."))
    asked = hint(hints, "widget")
    if asked is not None and (not isinstance(asked, str) or asked not in WIDGETS | {HIDDEN}):
        issues.append(FormIssue("uischema", (name, "ui:widget"), f"There is no widget called "
                                f"{json.dumps(asked)}. Use one of: {', '.join(sorted(WIDGETS | {HIDDEN}))}."))
    if asked != HIDDEN and not spec.get("readOnly"):
        widget = widget_for(spec, hints)
        message = _widget_mismatch(name, spec, widget)
        if message:
            chosen = widget == asked  # the UI schema chose the widget, so that is where to change it
            issues.append(FormIssue("uischema" if chosen else "schema", (name, "ui:widget") if chosen else where,
                                    message))
    return issues


def _has_choices(spec: Any) -> bool:
    return isinstance(spec, dict) and (spec.get("type") == "boolean" or bool(spec.get("enum"))
                                       or one_of_choices(spec) is not None or scale_choices(spec) is not None)


def _widget_mismatch(name: str, spec: dict[str, Any], widget: str) -> str | None:
    """Why a field cannot be answered with its widget: what the browser sends could never be valid."""
    kind = spec.get("type")
    items = spec.get("items")
    if widget == "file":
        item_kind = items.get("type") if isinstance(items, dict) else None
        if kind in ("string", "integer", None) or (kind == "array" and item_kind in ("string", "integer", None)):
            return None
        return f"A file upload stores the file's number: make “{name}” a string, an integer or an array of them."
    if kind == "array" and widget != "checkboxes":
        return f"“{name}” is a list (\"type\": \"array\"): show it as checkboxes or a file upload."
    if widget == "checkboxes":
        if kind == "array" and _has_choices(items):
            return None
        return (f"“{name}” is shown as checkboxes: make it \"type\": \"array\" with \"items\" that list the "
                "choices in \"enum\".")
    if widget in _CHOICE_WIDGETS and not _has_choices(spec):
        return (f"“{name}” is shown as {widget}, so it needs choices: add \"enum\", make it a boolean, or "
                "give a whole number a \"minimum\" and \"maximum\" at most 10 apart.")
    if kind == "boolean" and widget not in _CHOICE_WIDGETS:
        return f"“{name}” is yes or no: show it as radios or select."
    if widget == "date" and kind not in ("string", None):
        return f"A date is stored as text: make “{name}” \"type\": \"string\" with \"format\": \"date\"."
    if widget == "email" and kind not in ("string", None):
        return f"An email address is text: make “{name}” \"type\": \"string\"."
    if widget == "number" and kind not in ("integer", "number", "string", None):
        return f"“{name}” is shown as a number: make it \"type\": \"integer\" or \"number\"."
    return None


def _layout_problems(ui: dict[str, Any], properties: dict[str, Any]) -> list[FormIssue]:
    issues: list[FormIssue] = []
    for key, hints in ui.items():
        if key == UI_ORDER:
            issues.extend(_order_problems(hints, properties))
        elif key not in properties:
            issues.append(FormIssue("uischema", (key,), f"The layout describes “{key}”, which is not one of "
                                    "the form's questions."))
        elif not isinstance(hints, dict):
            issues.append(FormIssue("uischema", (key,), f"Describe the layout of “{key}” as a JSON object, "
                                    "like {\"ui:widget\": \"textarea\"}.", blocks_preview=True))
        else:
            issues.extend(_hint_problems(key, hints, properties[key]))
    return issues


def _order_problems(order: Any, properties: dict[str, Any]) -> list[FormIssue]:
    if not isinstance(order, list):
        return [FormIssue("uischema", (UI_ORDER,), "\"ui:order\" must be a list of question names.",
                          blocks_preview=True)]
    issues = []
    for index, name in enumerate(order):
        if not isinstance(name, str):
            issues.append(FormIssue("uischema", (UI_ORDER, index), "\"ui:order\" must list question names as "
                                    "text.", blocks_preview=True))
        elif name not in properties:
            issues.append(FormIssue("uischema", (UI_ORDER, index), f"\"ui:order\" names “{name}”, which is not "
                                    "one of the form's questions."))
    return issues


def _hint_problems(name: str, hints: dict[str, Any], spec: Any) -> list[FormIssue]:
    known = {f"ui:{h}" for h in UI_HINTS} | set(UI_HINTS)
    issues = [FormIssue("uischema", (name, key), f"The task page does not use “{key}”. A question's layout "
                        f"may say: {', '.join(f'ui:{h}' for h in UI_HINTS)}.") for key in hints if key not in known]
    for key in ("title", "help"):
        value = hint(hints, key)
        if value is not None and not isinstance(value, str):
            issues.append(FormIssue("uischema", (name, f"ui:{key}"), f"“ui:{key}” of “{name}” must be text."))
    names = hint(hints, "enumNames")
    if names is not None:
        choices = (spec.get("enum") or scale_choices(spec)) if isinstance(spec, dict) else None
        if isinstance(spec, dict) and spec.get("type") == "array" and isinstance(spec.get("items"), dict):
            choices = spec["items"].get("enum")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            issues.append(FormIssue("uischema", (name, "ui:enumNames"), f"“ui:enumNames” of “{name}” must be a "
                                    "list of text.", blocks_preview=True))
        elif isinstance(choices, list) and len(names) != len(choices):
            issues.append(FormIssue("uischema", (name, "ui:enumNames"), f"“{name}” has {len(choices)} choices "
                                    f"but “ui:enumNames” gives {len(names)} names: give one name for each."))
    return issues
