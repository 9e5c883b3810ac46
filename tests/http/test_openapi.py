"""The published contract: /openapi.json is generated from the schemas the
views use, documents every route, and /docs works without the internet."""

from __future__ import annotations

import pytest

from app.http.openapi import route_doc


@pytest.fixture
def spec(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_the_document_is_openapi_3_1_and_lists_every_route(flask_app, spec):
    assert spec["openapi"] == "3.1.0"
    for rule in flask_app.url_map.iter_rules():
        assert route_doc(flask_app.view_functions[rule.endpoint]) is not None, rule.rule
        path = rule.rule.replace("<uuid:", "{").replace("<path:", "{").replace("<", "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in spec["paths"][path], f"{method} {path}"


def test_commands_document_their_headers_and_every_problem(spec):
    approve = spec["paths"]["/purchase-orders/{po_id}/approve"]["post"]
    headers = {p["name"] for p in approve["parameters"] if p["in"] == "header"}
    assert {"Idempotency-Key", "If-Match"} <= headers
    assert {"ETag", "Event-Position", "Idempotent-Replayed"} <= set(approve["responses"]["200"]["headers"])
    assert {"400", "401", "403", "404", "409", "413", "415", "422", "428", "500", "503"} <= set(approve["responses"])
    assert "Retry-After" in approve["responses"]["503"]["headers"]
    assert "version-conflict" in approve["responses"]["409"]["description"]


def test_request_bodies_come_from_the_validation_schemas(spec):
    create = spec["paths"]["/purchase-orders"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    draft = spec["components"]["schemas"][create["$ref"].rsplit("/", 1)[1]]
    assert set(draft["required"]) == {"title", "supplier_id", "currency", "needed_by", "lines"}
    assert draft["properties"]["title"]["maxLength"] == 200
    assert draft.get("additionalProperties") is False


def test_open_routes_need_no_token_in_the_document(spec):
    assert spec["paths"]["/healthz"]["get"]["security"] == []
    assert "security" not in spec["paths"]["/purchase-orders/{po_id}"]["get"]


def test_the_interactive_docs_are_served_from_the_package(client):
    page = client.get("/docs")
    assert page.status_code == 200 and '<script src="/docs/init.js">' in page.get_data(as_text=True)
    assert "cdn" not in page.get_data(as_text=True).lower()
    assert '"/openapi.json"' in client.get("/docs/init.js").get_data(as_text=True)
    bundle = client.get("/docs/static/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.get_data()) > 100_000
