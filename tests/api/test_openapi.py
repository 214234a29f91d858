"""The OpenAPI description is valid 3.1, describes every route and nothing more, and the docs page
lists every endpoint."""

from __future__ import annotations

import re

from jsonschema import Draft202012Validator


def test_the_description_is_openapi_3_1_with_valid_schemas(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    for schema in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    refs = set(re.findall(r'"#/components/(\w+)/(\w+)"', client.get("/api/v1/openapi.json").get_data(as_text=True)))
    assert all(name in document["components"][kind] for kind, name in refs)


def test_every_route_is_described_and_every_description_is_a_route(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    described = {(method.upper(), "/api/v1" + path) for path, item in document["paths"].items() for method in item}
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and not rule.endpoint.startswith(("api.not_allowed_", "api.not_found")):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            routed |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    # The description names path parameters as the routes do.
    assert {(m, re.sub(r"\{\w+\}", "{}", p)) for m, p in described} == \
        {(m, re.sub(r"\{\w+\}", "{}", p)) for m, p in routed}


def test_the_docs_page_lists_every_endpoint_and_problem_type(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    for path in client.get("/api/v1/openapi.json").get_json()["paths"]:
        assert f"/api/v1{path}" in html
    assert 'id="problem-conflict"' in html and "<script" not in html and "style=" not in html


def test_problem_types_link_to_their_explanation(client):
    body = client.get("/api/v1/tasks").get_json()
    assert body["type"] == "/api/v1/docs#problem-unauthorised"
    assert 'id="problem-unauthorised"' in client.get("/api/v1/docs").get_data(as_text=True)
