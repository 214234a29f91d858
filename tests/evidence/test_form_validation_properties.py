"""Property tests of form validation: for any form schema of the kind diagrams use (text fields with a
length limit, choice fields, some required), every answer that breaks a rule is refused with a message
naming a field of that form, and every answer that keeps the rules passes untouched."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import FormInvalid
from engine.forms import validate

NAMES = st.from_regex(r"[a-z][a-z_]{0,11}", fullmatch=True)
OPTIONS = st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=5, unique=True)


@dataclass(frozen=True)
class Field:
    name: str
    options: tuple[str, ...] | None  # a choice field; otherwise free text
    max_length: int | None
    required: bool

    def schema(self) -> dict[str, Any]:
        if self.options is not None:
            return {"title": self.name.replace("_", " ").capitalize(), "type": "string", "enum": list(self.options)}
        schema: dict[str, Any] = {"title": self.name.capitalize(), "type": "string"}
        if self.max_length is not None:
            schema["maxLength"] = self.max_length
        return schema


@st.composite
def fields(draw: st.DrawFn) -> list[Field]:
    names = draw(st.lists(NAMES, min_size=1, max_size=6, unique=True))
    made = []
    for name in names:
        choice = draw(st.booleans())
        made.append(Field(name, tuple(draw(OPTIONS)) if choice else None,
                          None if choice else draw(st.none() | st.integers(0, 40)), draw(st.booleans())))
    return made


def form_schema(form: list[Field], closed: bool) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": {f.name: f.schema() for f in form},
                              "required": [f.name for f in form if f.required]}
    if closed:
        schema["additionalProperties"] = False
    return schema


@st.composite
def answers(draw: st.DrawFn, form: list[Field]) -> dict[str, Any]:
    """Answers that keep every rule: required fields present, choices from the options, text in length."""
    data = {}
    for field in form:
        if field.required or draw(st.booleans()):
            data[field.name] = draw(st.sampled_from(field.options) if field.options is not None
                                    else st.text(max_size=field.max_length if field.max_length is not None else 60))
    return data


@st.composite
def forms_with_answers(draw: st.DrawFn) -> tuple[dict[str, Any], list[Field], dict[str, Any]]:
    form = draw(fields())
    return form_schema(form, draw(st.booleans())), form, draw(answers(form))


@settings(max_examples=200, deadline=None)
@given(forms_with_answers())
def test_answers_that_keep_every_rule_pass_unchanged(case: tuple[dict[str, Any], list[Field], dict[str, Any]]):
    schema, _form, data = case
    before = copy.deepcopy(data)
    assert validate(schema, data) is data
    assert data == before


@st.composite
def broken_answers(draw: st.DrawFn) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """A form, the field one rule is broken on, and otherwise good answers."""
    form = draw(fields())
    data = draw(answers(form))
    breakable = [f for f in form if f.required or f.options is not None or f.max_length is not None]
    if not breakable:
        form[0] = Field(form[0].name, form[0].options, form[0].max_length, required=True)
        breakable = [form[0]]
        data = draw(answers(form))
    field = draw(st.sampled_from(breakable))
    ways = (["missing"] if field.required else []) + (["not an option"] if field.options is not None else []) \
        + (["too long"] if field.max_length is not None else [])
    way = draw(st.sampled_from(ways))
    if way == "missing":
        data.pop(field.name, None)
    elif way == "not an option":
        data[field.name] = draw(st.text(max_size=20).filter(lambda v: v not in (field.options or ())))
    else:
        data[field.name] = draw(st.text(min_size=(field.max_length or 0) + 1, max_size=(field.max_length or 0) + 20))
    return form_schema(form, draw(st.booleans())), field.name, data


@settings(max_examples=300, deadline=None)
@given(broken_answers())
def test_an_answer_that_breaks_a_rule_is_refused_naming_its_field(case: tuple[dict[str, Any], str, dict[str, Any]]):
    schema, broken, data = case
    with pytest.raises(FormInvalid) as refused:
        validate(schema, data)
    errors = refused.value.errors
    assert broken in errors, errors
    # The message speaks of the question as the form shows it, so a person knows what to fix.
    assert schema["properties"][broken]["title"] in errors[broken]
    assert set(errors) <= set(schema["properties"]), errors
    assert all(isinstance(message, str) and message for message in errors.values())
