"""Form submissions are checked against the task's JSON Schema, and every error names its field."""

from __future__ import annotations

import pytest

from engine.errors import FormInvalid
from engine.forms import schema_problems, validate

TRIAGE = {
    "type": "object",
    "required": ["severity"],
    "properties": {
        "severity": {"title": "How severe is it?", "type": "string", "enum": ["low", "high"]},
        "advice_given": {"title": "Advice given", "type": "string", "maxLength": 10},
        "people_involved": {"title": "People involved", "type": "integer", "minimum": 1},
        "contact": {"title": "Contact", "type": "object", "required": ["email"],
                    "properties": {"email": {"type": "string", "format": "email"}}},
    },
    "additionalProperties": False,
}


def errors_for(data: object) -> dict[str, str]:
    with pytest.raises(FormInvalid) as refused:
        validate(TRIAGE, data)
    return refused.value.errors


def test_valid_data_is_returned_unchanged():
    data = {"severity": "low", "advice_given": "Keep logs", "people_involved": 2}
    assert validate(TRIAGE, data) == data


@pytest.mark.parametrize(("data", "field", "message"), [
    ({}, "severity", "Answer “How severe is it?”."),
    ({"severity": "medium"}, "severity", "Choose one of the options for “How severe is it?”."),
    ({"severity": "low", "people_involved": "two"}, "people_involved", "“People involved” must be a whole number."),
    ({"severity": "low", "advice_given": "x" * 11}, "advice_given", "“Advice given” must be 10 characters or fewer."),
    ({"severity": "low", "people_involved": 0}, "people_involved", "“People involved” must be 1 or more."),
    ({"severity": "low", "colour": "red"}, "data", "The form has no field called 'colour'."),
    ({"severity": "low", "contact": {}}, "contact.email", "Answer “Contact”."),
])
def test_each_error_names_the_field_and_says_what_to_do(data, field, message):
    assert errors_for(data)[field] == message


def test_every_field_in_error_is_reported_at_once():
    assert set(errors_for({"severity": "medium", "advice_given": 5, "people_involved": -1})) == {
        "severity", "advice_given", "people_involved"}


def test_data_that_is_not_an_object_is_refused():
    assert errors_for(["low"]) == {"data": "The submitted data must be a JSON object of fields."}


def test_a_task_without_a_form_takes_any_object():
    assert validate(None, {"anything": 1}) == {"anything": 1}


def test_a_broken_schema_is_reported():
    assert schema_problems({"type": "nonsense"})
    assert schema_problems([]) == ["A form schema must be a JSON object."]
    assert schema_problems(TRIAGE) == []
