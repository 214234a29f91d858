"""JSON Schema task forms as GOV.UK questions: which component each field gets (from its type and the UI
schema's hints), and turning what a browser posts back into data the schema can validate."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

# Which widget a field gets, and which forms the page can show at all, is one rule shared with the form
# editor's check: engine/forms.py.
from engine.forms import HIDDEN, field_hints, hint, one_of_choices, scale_choices, widget_for

YES, NO = "yes", "no"


@dataclass
class Question:
    """One field of a form, ready for a GOV.UK component."""

    name: str
    label: str
    widget: str
    hint: str = ""
    required: bool = False
    options: list[tuple[str, str]] = field(default_factory=list)
    max_length: int | None = None
    schema: dict[str, Any] = field(default_factory=dict)

    @property
    def anchor(self) -> str:
        """The id the error summary links to: the first input of the component."""
        return f"{self.name}-day" if self.widget == "date" else self.name


def humanise(value: Any) -> str:
    text = str(value).replace("_", " ").replace("-", " ")
    return text[:1].upper() + text[1:]


def _options(schema: dict[str, Any], hints: dict[str, Any]) -> list[tuple[str, str]]:
    choices = one_of_choices(schema)
    if choices is not None:
        return [(_as_text(o["const"]), o.get("title") or humanise(o["const"])) for o in choices]
    values = schema.get("enum") or scale_choices(schema) or []
    names = hint(hints, "enumNames") or schema.get("enumNames") or []
    return [(_as_text(v), names[i] if i < len(names) else humanise(v)) for i, v in enumerate(values)]


def _as_text(value: Any) -> str:
    if value is True:
        return YES
    if value is False:
        return NO
    return str(value)


def questions(schema: dict[str, Any] | None, ui: dict[str, Any] | None = None) -> list[Question]:
    """The form's questions in the order the UI schema gives (else the schema's order)."""
    if not schema:
        return []
    properties: dict[str, Any] = schema.get("properties") or {}
    order = [n for n in (ui or {}).get("ui:order", []) if n in properties]
    order += [n for n in properties if n not in order]
    required = set(schema.get("required") or [])
    found = []
    for name in order:
        spec = properties[name] if isinstance(properties[name], dict) else {}
        hints = field_hints(ui, name)
        if hint(hints, "widget") == HIDDEN or spec.get("readOnly"):
            continue
        found.append(Question(name=name, label=hint(hints, "title") or spec.get("title") or humanise(name),
                              widget=widget_for(spec, hints), hint=hint(hints, "help") or spec.get("description") or "",
                              required=name in required, options=_choice_options(spec, hints),
                              max_length=spec.get("maxLength"), schema=spec))
    return found


def _choice_options(spec: dict[str, Any], hints: dict[str, Any]) -> list[tuple[str, str]]:
    if spec.get("type") == "boolean":
        return [(YES, _("Yes")), (NO, _("No"))]
    if spec.get("type") == "array" and isinstance(spec.get("items"), dict):
        return _options(spec["items"], hints)
    return _options(spec, hints)


def read_answers(found: list[Question], form: MultiDict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """What was posted, typed as the schema wants, and the fields that could not even be read."""
    data: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for question in found:
        if question.widget == "file":
            continue
        try:
            value = _read(question, form)
        except ValueError as error:
            errors[question.name] = str(error)
            continue
        if value is not None:
            data[question.name] = value
    return data, errors


def _read(question: Question, form: MultiDict[str, str]) -> Any:
    spec = question.schema
    if question.widget == "checkboxes":
        values = [v for v in form.getlist(question.name) if v]
        item_type = (spec.get("items") or {}).get("type")
        return [_typed(v, item_type, question) for v in values]
    if question.widget == "date":
        return _read_date(question, form)
    raw = form.get(question.name, "")
    raw = raw.strip() if question.widget != "textarea" else raw.strip("\r\n ")
    if raw == "":
        return None
    return _typed(raw.replace("\r\n", "\n"), spec.get("type"), question)


def _typed(raw: str, kind: Any, question: Question) -> Any:
    if kind == "boolean":
        if raw not in (YES, NO):
            raise ValueError(_("Choose yes or no for “%(label)s”.", label=question.label))
        return raw == YES
    if kind == "integer":
        try:
            return int(raw.replace(",", ""))
        except ValueError:
            raise ValueError(_("“%(label)s” must be a whole number, like 3.", label=question.label)) from None
    if kind == "number":
        try:
            number = float(raw.replace(",", "").lstrip("£"))
        except ValueError:
            raise ValueError(_("“%(label)s” must be a number, like 120.50.", label=question.label)) from None
        return int(number) if number.is_integer() else number
    return raw


def _read_date(question: Question, form: MultiDict[str, str]) -> str | None:
    parts = [form.get(f"{question.name}-{part}", "").strip() for part in ("day", "month", "year")]
    if not any(parts):
        return None
    try:
        day, month, year = (int(p) for p in parts)
        return date(year, month, day).isoformat() if year >= 1900 else _invalid_date(question)
    except ValueError:
        return _invalid_date(question)


def _invalid_date(question: Question) -> str:
    raise ValueError(_("“%(label)s” must be a real date, like 27 3 2026.", label=question.label))


def form_values(found: list[Question], data: dict[str, Any]) -> dict[str, Any]:
    """Stored answers as the components show them again (dates split into parts, booleans as yes/no)."""
    values: dict[str, Any] = {}
    for question in found:
        value = data.get(question.name)
        if question.widget == "date" and isinstance(value, str) and value.count("-") == 2:
            year, month, day = value.split("-")
            values.update({f"{question.name}-day": day.lstrip("0"), f"{question.name}-month": month.lstrip("0"),
                           f"{question.name}-year": year})
        elif isinstance(value, list):
            values[question.name] = [_as_text(v) for v in value]
        elif value is not None:
            values[question.name] = _as_text(value)
    return values


def answer_text(question: Question, value: Any) -> str:
    """An answer as a sentence fragment for check-your-answers and the case page."""
    labels = dict(question.options)
    if isinstance(value, list):
        return ", ".join(labels.get(_as_text(v), str(v)) for v in value)
    if question.widget == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value).strftime("%-d %B %Y")
        except ValueError:
            return value
    return labels.get(_as_text(value), "" if value is None else str(value))
