"""Hostile diagrams sent to the editor's deploy endpoint: each is refused with a clear message, and no
version is stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.models import ProcessModelVersion

GOOD = (Path(__file__).parent / "diagrams" / "v2" / "casework.bpmn").read_text()


def _with_script(script: str) -> str:
    """The good diagram with a script task between triage and the gateway."""
    return GOOD.replace('<bpmn:sequenceFlow id="f2" sourceRef="triage" targetRef="gw" />',
                        '<bpmn:sequenceFlow id="f2" sourceRef="triage" targetRef="tidy" />'
                        f'<bpmn:scriptTask id="tidy" name="Tidy up"><bpmn:script>{script}</bpmn:script>'
                        '</bpmn:scriptTask><bpmn:sequenceFlow id="f2b" sourceRef="tidy" targetRef="gw" />')


def _with_due(expression: str) -> str:
    return GOOD.replace('value="working_days(setting(\'triage_due_working_days\'))"', f'value="{expression}"')


XXE = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
       '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&xxe;</bpmn:definitions>')
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
          + ']><lolz>&lol9;</lolz>')

HOSTILE = {
    "external entity (XXE)": (XXE, "not allowed"),
    "billion laughs": (LAUGHS, "not allowed"),
    "not XML": ("this is not a diagram {", "not well-formed XML"),
    "script importing a module": (_with_script("import os"), "Imports are not allowed"),
    "script calling __import__": (_with_script("x = __import__('os')"), "Refused by the script sandbox"),
    "script walking dunder attributes": (_with_script("x = ().__class__.__bases__[0].__subclasses__()"),
                                         "Refused by the script sandbox"),
    "endless loop in a due date": (_with_due("str(sum(1 for a in range(10**5) for b in range(10**5)))"),
                                   "was stopped"),
}


def _versions(service) -> int:
    with service.db.read() as session:
        return session.scalar(select(func.count()).select_from(ProcessModelVersion))


@pytest.mark.parametrize(("xml", "expected"), list(HOSTILE.values()),
                         ids=list(HOSTILE))
def test_hostile_diagram_is_refused_with_a_clear_message_and_nothing_stored(xml, expected, admin, service, deploy):
    deploy("v1")
    response = admin.post("/admin/diagrams/deploy", json={"filename": "casework.bpmn", "xml": xml})
    assert response.status_code == 422
    messages = " ".join(p["message"] for p in response.get_json()["problems"])
    assert expected in messages
    assert _versions(service) == 1


def test_a_fifty_megabyte_upload_is_refused_unread_and_nothing_stored(admin, service, deploy):
    deploy("v1")
    huge = b"<bpmn:definitions>" + b" " * (50 * 1024 * 1024) + b"</bpmn:definitions>"
    response = admin.post("/admin/diagrams/deploy", data=huge, content_type="application/json")
    assert response.status_code == 413
    assert "smaller than 2 MB" in response.get_json()["message"]
    assert _versions(service) == 1


def test_a_diagram_just_over_the_limit_is_refused(admin, service, deploy):
    deploy("v1")
    padded = GOOD.replace("</bpmn:definitions>", "<!--" + "x" * (2 * 1024 * 1024) + "--></bpmn:definitions>")
    response = admin.post("/admin/diagrams/deploy", json={"filename": "casework.bpmn", "xml": padded})
    assert response.status_code == 413
    assert _versions(service) == 1
